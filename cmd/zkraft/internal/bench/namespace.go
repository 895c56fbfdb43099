package bench

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sync"

	"github.com/go-zookeeper/zk"
)

var openACL = zk.WorldACL(zk.PermAll)

// batchSize is how many creates or deletes one multi carries during setup
// and cleanup: one commit for many znodes keeps both short next to the run.
const batchSize = 100

// setupWorkers is how many multis are in flight during setup and cleanup.
const setupWorkers = 4

// setup creates the run's root and what the workload needs before its clients
// start: the key space with its data, a directory per client, the watched
// znode.
func setup(conn *zk.Conn, cfg *Config, l layout) error {
	if _, err := conn.Create(l.root, nil, 0, openACL); err != nil {
		return fmt.Errorf("creating %s: %w", l.root, err)
	}
	var dirs, keys []string
	switch {
	case cfg.usesKeySpace():
		dirs = append(dirs, l.keysDir())
		for g := range numGroups(cfg.KeySpace) {
			dirs = append(dirs, l.group(g))
		}
		for k := range cfg.KeySpace {
			keys = append(keys, l.key(k))
		}
	case cfg.Workload == WorkloadWatch:
		keys = append(keys, l.watched())
	}
	if cfg.Workload == WorkloadCreate || cfg.Workload == WorkloadMixed || cfg.Workload == WorkloadSession {
		dirs = append(dirs, l.clientsDir())
		for c := range cfg.Clients {
			dirs = append(dirs, l.clientDir(c))
		}
	}
	// Parents first: directories in order (each batch is one multi, applied
	// in order), then the leaves in parallel.
	if err := createBatches(conn, dirs, nil, 1); err != nil {
		return err
	}
	return createBatches(conn, keys, make([]byte, cfg.DataSize), setupWorkers)
}

func createBatches(conn *zk.Conn, paths []string, data []byte, workers int) error {
	return inBatches(paths, workers, func(batch []string) error {
		ops := make([]any, len(batch))
		for i, p := range batch {
			ops[i] = &zk.CreateRequest{Path: p, Data: data, Acl: openACL}
		}
		res, err := conn.Multi(ops...)
		if err == nil {
			err = firstMultiError(res)
		}
		if err != nil {
			return fmt.Errorf("creating %d znodes from %s: %w", len(batch), batch[0], err)
		}
		return nil
	})
}

// inBatches runs fn over paths in batches of batchSize, workers at a time,
// and returns every error.
func inBatches(paths []string, workers int, fn func([]string) error) error {
	batches := make(chan []string)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if err := fn(b); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for len(paths) > 0 {
		n := min(batchSize, len(paths))
		batches <- paths[:n]
		paths = paths[n:]
	}
	close(batches)
	wg.Wait()
	return errors.Join(errs...)
}

func firstMultiError(res []zk.MultiResponse) error {
	for _, r := range res {
		if r.Error != nil {
			return r.Error
		}
	}
	return nil
}

// cleanup deletes what the run left: first the znodes the clients know they
// made (in multis, so cleaning up after a long create run takes seconds), then
// whatever remains under the root, depth first.
func cleanup(conn *zk.Conn, known []string, l layout, logger *slog.Logger) error {
	if err := deleteBatches(conn, known); err != nil {
		logger.Debug("bench cleanup: some known znodes did not delete in batches", "err", err)
	}
	if err := deleteTree(conn, l.root); err != nil {
		return fmt.Errorf("cleaning up %s: %w", l.root, err)
	}
	return nil
}

// deleteBatches deletes paths in multis; a multi that fails (one znode
// already gone makes the whole multi fail) is retried znode by znode.
func deleteBatches(conn *zk.Conn, paths []string) error {
	return inBatches(paths, setupWorkers, func(batch []string) error {
		ops := make([]any, len(batch))
		for i, p := range batch {
			ops[i] = &zk.DeleteRequest{Path: p, Version: -1}
		}
		res, err := conn.Multi(ops...)
		if err == nil {
			err = firstMultiError(res)
		}
		if err == nil {
			return nil
		}
		var errs []error
		for _, p := range batch {
			if err := conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
				errs = append(errs, fmt.Errorf("%s: %w", p, err))
			}
		}
		return errors.Join(errs...)
	})
}

// deleteTree deletes p and everything below it. Listing is only safe for
// directories of modest size (a getChildren reply must fit the client's
// buffer), which is why the known znodes go first.
func deleteTree(conn *zk.Conn, p string) error {
	children, _, err := conn.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	var leaves []string
	for _, c := range children {
		child := path.Join(p, c)
		grand, _, err := conn.Children(child)
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return err
		}
		if len(grand) > 0 {
			if err := deleteTree(conn, child); err != nil {
				return err
			}
			continue
		}
		leaves = append(leaves, child)
	}
	if err := deleteBatches(conn, leaves); err != nil {
		return err
	}
	if err := conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return err
	}
	return nil
}
