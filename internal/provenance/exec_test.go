package provenance

import "os/exec"

var exec_LookPath = exec.LookPath
