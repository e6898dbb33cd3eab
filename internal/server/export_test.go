package server

// NewHandlerWithAuthenticator lets tests stand in for the token store.
var NewHandlerWithAuthenticator = newHandler

// Authenticator is what NewHandlerWithAuthenticator asks of its stand-in.
type Authenticator = authenticator
