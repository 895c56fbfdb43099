import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * A ZooKeeper session whose default watcher (the one Kafka's
 * ZooKeeperClient installs) records connection states and node events in
 * separate queues, so a case can wait for either.
 */
final class Zk implements AutoCloseable {
    final ZooKeeper zk;
    final BlockingQueue<Watcher.Event.KeeperState> states = new LinkedBlockingQueue<>();
    final BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
    /** SyncConnected events so far; the default watcher runs on one thread. */
    final AtomicInteger connects = new AtomicInteger();
    /** For each node event, how many times the session had connected when it came. */
    final Map<String, Integer> connectsAtEvent = new ConcurrentHashMap<>();

    Zk(String connect, int sessionTimeoutMs, boolean netty) throws Exception {
        // Kafka uses the Netty socket for TLS and may for plain connections;
        // it frames and batches writes differently from the NIO default.
        ZKClientConfig cfg = new ZKClientConfig();
        if (netty) {
            cfg.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNetty");
        }
        zk = new ZooKeeper(connect, sessionTimeoutMs, e -> {
            if (e.getType() == Watcher.Event.EventType.None) {
                if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    connects.incrementAndGet();
                }
                states.add(e.getState());
            } else {
                connectsAtEvent.put(e.getType() + " " + e.getPath(), connects.get());
                events.add(e);
            }
        }, cfg);
    }

    /** Waits until the session reports want, skipping other states. */
    void awaitState(Watcher.Event.KeeperState want) throws InterruptedException {
        List<Watcher.Event.KeeperState> seen = new ArrayList<>();
        long end = System.currentTimeMillis() + Ctx.WAIT_MS;
        while (true) {
            Watcher.Event.KeeperState s = states.poll(Math.max(1, end - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            if (s == null) {
                throw new AssertionError("session state " + want + " not reported within " + Ctx.WAIT_MS + " ms (seen " + seen + ")");
            }
            if (s == want) {
                return;
            }
            seen.add(s);
        }
    }

    /** The next node event of the default watcher, as "Type path". */
    String nextEvent(String what) throws InterruptedException {
        WatchedEvent e = Ctx.next(events, what);
        return e.getType() + " " + e.getPath();
    }

    @Override
    public void close() {
        try {
            zk.close(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
