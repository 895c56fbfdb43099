//go:build !race

package test

const diffRaceEnabled = false
