//go:build linux

package probe

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// epollSweep is the fast TCP connect sweep: one goroutine keeps up to
// window non-blocking connects in flight and learns their outcome from
// epoll, instead of a goroutine, a netFD and a timer per port. A full
// 65,535-port sweep of loopback then costs a few hundred milliseconds of
// CPU. It reports each endpoint exactly once through done (open, or the
// error that closed it); timeouts are retried up to retries times.
func epollSweep(ctx context.Context, next func() (Endpoint, bool), window int, timeout time.Duration, retries int, pace *pacer, wantErrors bool, done func(Endpoint, bool, error)) error {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer syscall.Close(epfd)

	type pending struct {
		ep       Endpoint
		attempt  int
		deadline time.Time
		seq      uint64
	}
	type slot struct {
		fd  int
		seq uint64
	}
	inflight := map[int]*pending{}
	// order holds connects in start order; deadlines grow with it, so
	// expired entries are always at the front. seq tells a reused fd
	// number from the connect that first had it.
	var order []slot
	var seq uint64
	var retry []pending
	events := make([]syscall.EpollEvent, 256)
	exhausted := false

	finish := func(fd int, open bool, err error) {
		p := inflight[fd]
		delete(inflight, fd)
		syscall.Close(fd)
		if p == nil {
			return
		}
		if err != nil && isTimeoutErr(err) && p.attempt < retries {
			retry = append(retry, pending{ep: p.ep, attempt: p.attempt + 1})
			return
		}
		done(p.ep, open, err)
	}

	start := func(p pending) (bool, error) {
		family, sa := sockaddr(p.ep)
		fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return false, err
		}
		err = syscall.Connect(fd, sa)
		switch {
		case err == nil:
			syscall.Close(fd)
			done(p.ep, true, nil)
			return true, nil
		case errors.Is(err, syscall.EINPROGRESS):
		default:
			syscall.Close(fd)
			if p.attempt < retries && isTimeoutErr(err) {
				retry = append(retry, pending{ep: p.ep, attempt: p.attempt + 1})
			} else {
				done(p.ep, false, err)
			}
			return true, nil
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLOUT | syscall.EPOLLERR | syscall.EPOLLHUP, Fd: int32(fd)}
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			syscall.Close(fd)
			return false, err
		}
		seq++
		p.deadline, p.seq = time.Now().Add(timeout), seq
		pp := p
		inflight[fd] = &pp
		order = append(order, slot{fd, seq})
		return true, nil
	}

	for {
		if ctx.Err() != nil {
			for fd := range inflight {
				syscall.Close(fd)
			}
			return ctx.Err()
		}
		// Fill the window: retries first, then new endpoints.
	fill:
		for len(inflight) < window {
			var p pending
			switch {
			case len(retry) > 0:
				p, retry = retry[0], retry[1:]
			case exhausted:
				break fill
			default:
				ep, ok := next()
				if !ok {
					exhausted = true
					continue
				}
				if err := pace.wait(ctx); err != nil {
					done(ep, false, err)
					continue
				}
				p = pending{ep: ep}
			}
			ok, err := start(p)
			if !ok {
				if (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS)) && len(inflight) > 0 {
					// Out of descriptors: finish some first.
					retry = append([]pending{p}, retry...)
					break fill
				}
				done(p.ep, false, err)
			}
		}
		if len(inflight) == 0 && len(retry) == 0 && exhausted {
			return nil
		}
		if len(inflight) == 0 {
			continue
		}
		wait := 10
		if len(order) > 0 {
			if p := inflight[order[0].fd]; p != nil && p.seq == order[0].seq {
				if d := time.Until(p.deadline); d < 10*time.Millisecond {
					wait = max(int(d/time.Millisecond), 0)
				}
			}
		}
		n, err := syscall.EpollWait(epfd, events, wait)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return err
		}
		for i := 0; i < n; i++ {
			fd := int(events[i].Fd)
			if _, ok := inflight[fd]; !ok {
				continue
			}
			if events[i].Events&(syscall.EPOLLERR|syscall.EPOLLHUP) == 0 {
				finish(fd, true, nil)
				continue
			}
			// Failed: ask why only when the caller keeps closed ports
			// (a refused connect needs no second syscall otherwise).
			why := error(syscall.ECONNREFUSED)
			if wantErrors {
				if soerr, gerr := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR); gerr != nil {
					why = gerr
				} else if soerr != 0 {
					why = syscall.Errno(soerr)
				}
			}
			finish(fd, false, why)
		}
		// Expire from the front of the start order.
		now := time.Now()
		for len(order) > 0 {
			fd := order[0].fd
			p, ok := inflight[fd]
			if !ok || p.seq != order[0].seq {
				order = order[1:]
				continue
			}
			if p.deadline.After(now) {
				break
			}
			order = order[1:]
			finish(fd, false, syscall.ETIMEDOUT)
		}
		if len(order) > 4*window {
			// Compact: drop finished fds so the slice does not grow.
			live := order[:0]
			for _, sl := range order {
				if p, ok := inflight[sl.fd]; ok && p.seq == sl.seq {
					live = append(live, sl)
				}
			}
			order = live
		}
	}
}

func isTimeoutErr(err error) bool {
	return errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, syscall.EAGAIN)
}

func sockaddr(ep Endpoint) (int, syscall.Sockaddr) {
	if ep.Addr.Is4() {
		return syscall.AF_INET, &syscall.SockaddrInet4{Port: ep.Port, Addr: ep.Addr.As4()}
	}
	return syscall.AF_INET6, &syscall.SockaddrInet6{Port: ep.Port, Addr: ep.Addr.As16()}
}

const haveEpollSweep = true
