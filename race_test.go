//go:build race

package authkit_test

// raceEnabled: the race detector's shadow memory multiplies a process's
// resident memory, so RSS targets are not checked under it.
const raceEnabled = true
