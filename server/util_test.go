package server

import (
	"encoding/base64"
	"math"
)

func ln(x float64) float64 { return math.Log(x) }

func b64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
