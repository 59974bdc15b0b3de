package kubetest

import "syscall"

// sysProcAttr kills a component when the test process dies without
// cleaning up, so that no etcd or API server outlives a killed test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
