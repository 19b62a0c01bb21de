// Package egresstest holds the end-to-end test of the egress chain: sites
// in a network namespace, the real proxy, and real headless Chromium.
package egresstest
