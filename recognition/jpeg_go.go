//go:build !cgo

package recognition

import "image"

// decodeJPEG without cgo (the CGO_ENABLED=0 builds of app/ and store/
// tests; the program itself always links libjpeg-turbo): Go's image/jpeg,
// bounded by the decoded size only, which undercounts a progressive or
// CMYK JPEG's decoding 2–5× (see jpeg_turbo.go).
func decodeJPEG(data []byte) (image.Image, error) { return decodeGo("jpeg", data) }
