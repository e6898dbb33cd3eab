// Package graph is the GraphQL edge: generated execution code, thin
// resolvers that call the domain packages, and per-request dataloaders.
package graph

//go:generate go -C .. tool gqlgen generate
