// Package egresstest holds the end-to-end tests of the egress chain: sites
// in a network namespace, the real proxy, real headless Chromium under the
// managed policy, and the nftables rules of `clawgov egress firewall`
// against a CDP direct:// browser context.
package egresstest
