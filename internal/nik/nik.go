// Package nik protects Indonesian national identity numbers (Nomor Induk
// Kependudukan), which are personal data under UU 27/2022: their format
// check, their sealing for storage, a keyed hash to find earlier requests of
// the same person without unsealing anything, and the masked form shown to
// those who may not see the whole number.
//
// A NIK never appears in an error message: Check says what is wrong, never
// what was given.
package nik

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Length is the number of digits of a NIK.
const Length = 16

// provinces are the two-digit province codes of the Ministry of Home
// Affairs (Kemendagri) area codes, including the Papua provinces formed in
// 2022.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "16": true, "17": true, "18": true, "19": true,
	"21": true, "31": true, "32": true, "33": true, "34": true, "35": true, "36": true,
	"51": true, "52": true, "53": true, "61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "72": true, "73": true, "74": true, "75": true, "76": true, "81": true, "82": true,
	"91": true, "92": true, "93": true, "94": true, "95": true, "96": true, "97": true,
}

// Check reports what makes s not a plausible NIK: 16 digits; a known
// province code; a regency (01–69) or city (71–99) code; a district code;
// a date of birth DDMMYY whose day is 1–31, or 41–71 for women (day + 40),
// and which exists; a serial number that is not 0000.
func Check(s string) error {
	if len(s) != Length || strings.Trim(s, "0123456789") != "" {
		return errors.New("must be 16 digits")
	}
	if !provinces[s[0:2]] {
		return errors.New("does not start with a province code")
	}
	if r := s[2:4]; r == "00" || r == "70" {
		return errors.New("has no regency or city code in digits 3–4")
	}
	if s[4:6] == "00" {
		return errors.New("has no district code in digits 5–6")
	}
	day, month, year := num(s[6:8]), num(s[8:10]), num(s[10:12])
	if day > 40 {
		day -= 40
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return errors.New("has no date of birth in digits 7–12 (DDMMYY, day + 40 for women)")
	}
	if s[12:16] == "0000" {
		return errors.New("has no serial number in digits 13–16")
	}
	return nil
}

func num(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// daysIn returns the days of month in a year known by its last two digits:
// February has 29 in years divisible by 4 (2000 was a leap year; 1900 is
// past anyone's birth).
func daysIn(month, yy int) int {
	switch month {
	case 2:
		if yy%4 == 0 {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Mask shows the first and last four digits of a NIK and hides the rest.
func Mask(s string) string {
	if len(s) != Length {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + strings.Repeat("*", Length-8) + s[Length-4:]
}

// Key seals NIKs and hashes them for look-ups. Both keys derive from one
// 32-byte secret, so a deployment configures a single value.
type Key struct {
	id     string
	aead   cipher.AEAD
	lookup []byte
}

// KeySize is the length of the secret in bytes.
const KeySize = 32

// NewSecret returns a fresh secret in the form ParseKey reads (base64).
func NewSecret() string {
	b := make([]byte, KeySize)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// ParseKey reads a secret given as base64 of 32 bytes.
func ParseKey(secret string) (*Key, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(secret))
	if err != nil || len(b) != KeySize {
		return nil, fmt.Errorf("a NIK key is %d random bytes in base64 (make one with: sinergi nik new-key)", KeySize)
	}
	block, err := aes.NewCipher(derive(b, "sinergi nik seal v1"))
	if err != nil {
		return nil, fmt.Errorf("NIK key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("NIK key: %w", err)
	}
	return &Key{id: hex.EncodeToString(derive(b, "sinergi nik key id")[:8]), aead: aead, lookup: derive(b, "sinergi nik lookup v1")}, nil
}

func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// ID names the key without revealing it; stored beside each sealed NIK so
// that a server started with another key says so instead of failing to
// unseal.
func (k *Key) ID() string { return k.id }

// Seal encrypts a NIK for storage: nonce, then ciphertext and tag.
func (k *Key) Seal(s string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, []byte(s), []byte("nik"))
}

// Open decrypts what Seal sealed.
func (k *Key) Open(sealed []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("unseal NIK: too short")
	}
	b, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte("nik"))
	if err != nil {
		return "", errors.New("unseal NIK: wrong key or damaged value")
	}
	return string(b), nil
}

// Hash is the keyed hash that finds the requests of one NIK; without the
// key it cannot be reversed by trying every plausible number.
func (k *Key) Hash(s string) []byte {
	m := hmac.New(sha256.New, k.lookup)
	m.Write([]byte(s))
	return m.Sum(nil)
}
