package channels

import (
	"errors"
	"math"
	"strings"
)

// errPunycode reports an xn-- label that is not valid Punycode.
var errPunycode = errors.New("channels: invalid punycode")

// Punycode parameters (RFC 3492 section 5).
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
)

// decodePunycode decodes the part of an IDNA label after "xn--" (RFC 3492
// section 6.2). It is our own rather than golang.org/x/net/idna because
// only decoding is needed, to show a visitor what a look-alike domain
// really spells, and adding that module would move the versions of the
// x/ modules the whole program builds with. It refuses overflow, non-basic
// input, and results that are not plain code points.
func decodePunycode(s string) (string, error) {
	var out []rune
	if pos := strings.LastIndexByte(s, '-'); pos > 0 {
		for i := 0; i < pos; i++ {
			if s[i] >= 0x80 {
				return "", errPunycode
			}
			out = append(out, rune(s[i]))
		}
		s = s[pos+1:]
	}
	n, i, bias := pcInitialN, 0, pcInitialBias
	for k := 0; k < len(s); {
		oldi, w := i, 1
		for kk := pcBase; ; kk += pcBase {
			if k >= len(s) {
				return "", errPunycode
			}
			digit := pcDigit(s[k])
			k++
			if digit < 0 || digit > (math.MaxInt32-i)/w {
				return "", errPunycode
			}
			i += digit * w
			t := kk - bias
			if t < pcTMin {
				t = pcTMin
			} else if t > pcTMax {
				t = pcTMax
			}
			if digit < t {
				break
			}
			if w > math.MaxInt32/(pcBase-t) {
				return "", errPunycode
			}
			w *= pcBase - t
		}
		points := len(out) + 1
		bias = pcAdapt(i-oldi, points, oldi == 0)
		if i/points > math.MaxInt32-n {
			return "", errPunycode
		}
		n += i / points
		i %= points
		if n < 0x80 || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF) {
			return "", errPunycode
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = rune(n)
		i++
	}
	return string(out), nil
}

func pcDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c-'0') + 26
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	}
	return -1
}

func pcAdapt(delta, points int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / points
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}
