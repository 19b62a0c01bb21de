package openclaw

// ResolvePaths resolves home, state dir, config path and credentials dir
// from opts exactly as Gather does, without reading the config or state.
// The audit uses it to tell which running gateways and service units belong
// to the deployment being audited.
func ResolvePaths(opts Options) Paths {
	r := &pathResolver{rfs: newRootFS(opts.Rootfs), env: newEnvState(opts), opts: opts, how: map[string]string{}}
	return r.resolve()
}
