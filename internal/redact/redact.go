// Package redact hides secrets in strings that are logged or shown: the
// password of a URL's user information and the values of query parameters
// that carry credentials (camera URLs such as
// rtsp://admin:secret@cam.lan/stream or http://cam/video?user=admin&pwd=secret).
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces every hidden value.
const Mask = "xxxxx"

// secretParams are query parameter names (lower case) whose values are
// credentials in the URLs of IP cameras and streaming servers.
var secretParams = map[string]bool{
	"password": true, "passwd": true, "pass": true, "pwd": true, "psw": true,
	"token": true, "access_token": true, "auth": true, "authorization": true,
	"key": true, "apikey": true, "api_key": true, "secret": true,
	"sig": true, "signature": true, "credential": true, "credentials": true,
}

// URL returns s with the password of its user information and the values of
// credential query parameters replaced by Mask. The user name stays (it
// helps to tell cameras apart). Strings that are not URLs come back as they
// are; a URL Go cannot parse is still masked between "://" and the last '@'
// of its authority.
func URL(s string) string {
	i := strings.Index(s, "://")
	if i <= 0 {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return maskAuthority(s, i+3)
	}
	changed := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
			changed = true
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if secretParams[strings.ToLower(k)] {
				q[k] = []string{Mask}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if !changed {
		return s
	}
	return u.String()
}

// maskAuthority masks what lies between the start of the authority and its
// last '@', for URLs url.Parse refuses.
func maskAuthority(s string, start int) string {
	end := len(s)
	if j := strings.IndexAny(s[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndex(s[start:end], "@")
	if at < 0 {
		return s
	}
	return s[:start] + Mask + s[start+at:]
}
