//go:build !linux

package data

// oDirect is none where direct I/O is not known here: writes stay buffered.
const oDirect = 0
