package openclaw

// ParseDotEnv parses a dotenv file (<state>/.env, gateway.env) the way
// OpenClaw's loader does. Checks that must see every file that sets a
// variable, not only the one whose value won, read the files with it.
func ParseDotEnv(data []byte) [][2]string { return parseDotEnv(data) }

// ConfigEnvVars are the variables the config's env block (env.vars and
// top-level env keys) gives the gateway.
func ConfigEnvVars(cfg *Config) map[string]string {
	if cfg == nil || cfg.Root == nil {
		return nil
	}
	return configEnvVars(cfg.Root)
}
