// The functions of ingress-nginx (controller-v1.15.1) that decide the location denials modelled in
// mtls_tui/policy/ingress_nginx/denials.py and policy/go_url.py, copied verbatim, run on Go's own net/url,
// net and regexp: tests/test_ingress_nginx_denials.py feeds it values on stdin (a JSON list) and
// holds the Python model to what it prints (a JSON list of results, in order).
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// internal/ingress/annotations/parser/main.go StringToURL
func StringToURL(input string) (*url.URL, error) {
	parsedURL, err := url.Parse(input)
	if err != nil {
		return nil, fmt.Errorf("%v is not a valid URL: %v", input, err)
	}

	switch {
	case parsedURL.Scheme == "":
		return nil, fmt.Errorf("url scheme is empty")
	case parsedURL.Host == "":
		return nil, fmt.Errorf("url host is empty")
	case strings.Contains(parsedURL.Host, ".."):
		return nil, fmt.Errorf("invalid url host")
	default:
		return parsedURL, nil
	}
}

// internal/net/ipnet.go ParseIPNets (the maps left out: only the error matters here)
func ParseIPNets(specs ...string) error {
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		_, _, err := net.ParseCIDR(spec)
		if err != nil {
			ip := net.ParseIP(spec)
			if ip == nil {
				return err
			}
		}
	}
	return nil
}

// internal/ingress/annotations/authreq/main.go and customheaders/main.go
var (
	methodsRegex    = regexp.MustCompile("^(GET|HEAD|POST|PUT|PATCH|DELETE|CONNECT|OPTIONS|TRACE)$")
	headerRegexp    = regexp.MustCompile(`^[a-zA-Z\d\-_]+$`)
	statusCodeRegex = regexp.MustCompile(`^\d{3}$`)
	durationRegex   = regexp.MustCompile(`^\d+(ms|s|m|h|d|w|M|y)$`)
	valueRegexp     = regexp.MustCompile(`^[a-zA-Z\d_ :;.,\\/"'?!(){}\[\]@<>=\-+*#$&\x60|~^%]+$`)
	// internal/ingress/annotations/parser/validators.go HeadersVariable
	headersVariable = regexp.MustCompile(`^[A-Za-z0-9-_, ]*$`)
)

// authreq/main.go ValidCacheDuration
func ValidCacheDuration(duration string) bool {
	elements := strings.Split(duration, " ")
	seenDuration := false

	for _, element := range elements {
		if element == "" {
			continue
		}
		if statusCodeRegex.MatchString(element) {
			if seenDuration {
				return false // code after duration
			}
			continue
		}
		if durationRegex.MatchString(element) {
			seenDuration = true
		}
	}
	return seenDuration
}

type result struct {
	URL      string `json:"url"` // StringToURL's error, "" when it takes the value
	IPNets   string `json:"ipnets"`
	Duration bool   `json:"duration"`
	Method   bool   `json:"method"`
	Header   bool   `json:"header"`
	Value    bool   `json:"value"`
	Headers  bool   `json:"headers"`
}

func main() {
	var inputs []string
	if err := json.NewDecoder(os.Stdin).Decode(&inputs); err != nil {
		panic(err)
	}
	results := make([]result, 0, len(inputs))
	for _, s := range inputs {
		r := result{
			Duration: ValidCacheDuration(s),
			Method:   methodsRegex.MatchString(s),
			Header:   headerRegexp.MatchString(s),
			Value:    valueRegexp.MatchString(s),
			Headers:  headersVariable.MatchString(s),
		}
		if _, err := StringToURL(s); err != nil {
			r.URL = err.Error()
		}
		if err := ParseIPNets(strings.Split(s, ",")...); err != nil {
			r.IPNets = err.Error()
		}
		results = append(results, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}
