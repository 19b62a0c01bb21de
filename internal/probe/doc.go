// Package probe finds and fingerprints OpenClaw gateways over the network
// without ever executing anything on them. It parses scan targets (CIDRs,
// ranges, hostnames, host:port), sweeps TCP ports with bounded concurrency
// and rate through an injectable dialer, and classifies each open port with
// the fingerprint signatures embedded under signatures/ (nuclei-style
// matchers compiled and validated at load).
//
// Safety is part of the contract, enforced in code and in the signature
// validator: requests are read-only probes (GET, or POST with an empty JSON
// object), never carry a credential, never name a tool, and redirects are
// never followed — every request goes to the endpoint under test and
// nowhere else. Only point it at networks you are authorised to test.
package probe
