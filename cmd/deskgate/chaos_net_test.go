package main

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// outageProxy forwards TCP connections from its own loopback port to a
// server, so that the fault suite can make the server go away and come
// back on the same address without losing its state: Cut closes the port
// and every connection through it (clients see a reset, then "connection
// refused"), Restore listens on the same port again.
type outageProxy struct {
	target, addr string

	mu    sync.Mutex
	ln    net.Listener // nil while cut
	conns map[net.Conn]struct{}
}

func newOutageProxy(target string) (*outageProxy, error) {
	p := &outageProxy{target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("chaos: proxy for %s: %w", target, err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}

// Addr is the address clients dial.
func (p *outageProxy) Addr() string { return p.addr }

// Cut makes the server unreachable.
func (p *outageProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// Restore makes the server reachable again on the same address.
func (p *outageProxy) Restore() error {
	var err error
	for range 100 { // the port may linger for a moment after Cut
		var ln net.Listener
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("chaos: listening on %s again: %w", p.addr, err)
}

// Close cuts the server off for good.
func (p *outageProxy) Close() { p.Cut() }

func (p *outageProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

// forward copies both ways between client c and the server until either
// side closes or Cut closes both.
func (p *outageProxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut while dialling
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	c.Close()
	s.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}
