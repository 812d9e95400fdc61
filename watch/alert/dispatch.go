package alert

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Action carries out notices. Do is called from the action's own
// workers, never from Observe; it should give up when ctx is done (the
// engine is closing and the drain time is over). An error counts as a
// failure and is logged.
type Action interface {
	Do(ctx context.Context, n Notice) error
}

// ActionFunc makes a function an Action.
type ActionFunc func(ctx context.Context, n Notice) error

// Do calls f.
func (f ActionFunc) Do(ctx context.Context, n Notice) error { return f(ctx, n) }

// ActionStats are one action's counters.
type ActionStats struct {
	Name      string
	Sent      int64 // notices carried out
	Failed    int64 // notices whose Do returned an error
	Dropped   int64 // notices dropped because the queue was full
	LastError string
}

// queue is one action's bounded queue and its workers. A notice that
// finds the queue full is dropped and counted: a slow or dead mail server
// never holds up event processing.
type queue struct {
	name   string
	act    Action
	ch     chan Notice
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	log    *slog.Logger

	sent, failed, dropped atomic.Int64

	mu      sync.Mutex
	closed  bool
	lastErr string
}

func newQueue(name string, act Action, size, workers int, log *slog.Logger) *queue {
	q := &queue{name: name, act: act, ch: make(chan Notice, size), log: log}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	for range workers {
		q.wg.Go(q.work)
	}
	return q
}

func (q *queue) put(n Notice) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.dropped.Add(1)
		return
	}
	select {
	case q.ch <- n:
	default:
		if q.dropped.Add(1) == 1 || q.dropped.Load()%100 == 0 {
			q.log.Warn("tcpdwatch: action queue full, notice dropped", "action", q.name, "dropped", q.dropped.Load())
		}
	}
}

func (q *queue) work() {
	for n := range q.ch {
		if q.ctx.Err() != nil {
			q.dropped.Add(1)
			continue
		}
		if err := q.do(n); err != nil {
			q.failed.Add(1)
			q.mu.Lock()
			q.lastErr = err.Error()
			q.mu.Unlock()
			q.log.Error("tcpdwatch: action failed", "action", q.name, "incident", n.Incident, "err", err)
			continue
		}
		q.sent.Add(1)
	}
}

// do runs the action, turning a panic into a failure so that one bad
// notice cannot stop the workers.
func (q *queue) do(n Notice) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return q.act.Do(q.ctx, n)
}

type panicError struct{ v any }

func (p panicError) Error() string { return "action panicked: " + Clean(fmt.Sprint(p.v)) }

func (q *queue) stats() ActionStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return ActionStats{Name: q.name, Sent: q.sent.Load(), Failed: q.failed.Load(), Dropped: q.dropped.Load(), LastError: q.lastErr}
}

// stopQueues closes the queues, lets the workers finish what is queued
// for up to drain, then cancels what is still running and waits.
func stopQueues(qs map[string]*queue, drain time.Duration) {
	for _, q := range qs {
		q.mu.Lock()
		if !q.closed {
			q.closed = true
			close(q.ch)
		}
		q.mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		for _, q := range qs {
			q.wg.Wait()
		}
		close(done)
	}()
	timer := time.NewTimer(drain)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	}
	for _, q := range qs {
		q.cancel()
	}
	<-done
}
