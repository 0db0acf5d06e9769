//go:build race

package main

// raceEnabled: this test binary runs under the race detector, so the okpay
// binary it builds does too.
const raceEnabled = true
