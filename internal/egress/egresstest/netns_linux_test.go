package egresstest

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// setns moves the calling thread into the namespace fd refers to.
func setns(fd uintptr) error {
	return unix.Setns(int(fd), unix.CLONE_NEWNET)
}

// dialInNetns connects to addr from inside the named namespace. A
// socket belongs to the namespace it was created in, so only the
// socket() call needs the locked thread to sit there; the connection is
// then used from any goroutine.
func dialInNetns(ns, addr string) (net.Conn, error) {
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer orig.Close()
	if err := setns(target.Fd()); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("setns %s: %w", ns, err)
	}
	c, derr := net.DialTimeout("tcp", addr, 5*time.Second)
	if err := setns(orig.Fd()); err != nil {
		// The thread is stuck in the namespace: leaving it locked makes
		// the runtime discard it when this goroutine ends.
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("setns back: %w", err)
	}
	runtime.UnlockOSThread()
	return c, derr
}

// relay forwards a loopback port of this namespace to addr inside ns,
// so an ordinary client (here the CDP client) can talk to a server on
// that namespace's loopback.
func relay(t *testing.T, ns, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := dialInNetns(ns, addr)
				if err != nil {
					return
				}
				defer u.Close()
				go func() { _, _ = io.Copy(u, c); u.Close() }()
				_, _ = io.Copy(c, u)
			}()
		}
	}()
	return ln.Addr().String()
}
