package openclaw

// ResolvePaths resolves home, state dir, config path and credentials dir
// from opts exactly as Gather does (dotenv files included), without
// reading the config or state. The audit uses it to tell which running
// gateways and service units belong to the deployment being audited.
// Workspaces need the config and are left to Gather.
func ResolvePaths(opts Options) Paths {
	_, p, _ := resolveAll(opts)
	return p
}
