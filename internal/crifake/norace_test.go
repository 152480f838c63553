//go:build !race

package crifake_test

const raceEnabled = false
