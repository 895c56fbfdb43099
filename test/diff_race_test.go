//go:build race

package test

// The race detector slows the in-process zkraft several times over; CI runs
// the whole suite with it, so the differential test runs fewer sequences
// there to stay within a few minutes.
const diffRaceEnabled = true
