package server

import (
	"context"
	"time"
)

// Job runs a task on a timer, as a kratos server (Start/Stop): the garbage
// collector and the scrub.
type Job struct {
	run      func(context.Context)
	interval time.Duration
	stop     chan struct{}
	done     chan struct{}
}

// NewJob returns a job that runs every interval (never when 0).
func NewJob(interval time.Duration, run func(context.Context)) *Job {
	return &Job{run: run, interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
}

// Start runs until Stop.
func (j *Job) Start(ctx context.Context) error {
	defer close(j.done)
	if j.interval <= 0 {
		<-j.stop
		return nil
	}
	t := time.NewTicker(j.interval)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-t.C:
			j.run(ctx)
		}
	}
}

// RunOnce runs the task now.
func (j *Job) RunOnce(ctx context.Context) { j.run(ctx) }

// Stop ends Start.
func (j *Job) Stop(ctx context.Context) error {
	select {
	case <-j.stop:
	default:
		close(j.stop)
	}
	select {
	case <-j.done:
	case <-ctx.Done():
	}
	return nil
}
