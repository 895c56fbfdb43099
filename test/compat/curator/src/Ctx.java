import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * What a case works with: its own root path, clients that are closed when
 * the case ends, and assertions that fail with a message saying what was
 * expected.
 */
final class Ctx {
    static final int SESSION_TIMEOUT_MS = 10_000;
    static final long WAIT_MS = 10_000;

    final String connect;
    final String root;
    /** What the case is doing now; a timeout reports it. */
    volatile String step = "starting";
    private final List<AutoCloseable> closeables = new ArrayList<>();

    Ctx(String connect, String root) {
        this.connect = connect;
        this.root = root;
    }

    String path(String rel) {
        return root + "/" + rel;
    }

    /** A started client with Curator's defaults (EnsembleTracker on), connected. */
    CuratorFramework client() throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(SESSION_TIMEOUT_MS)
                .connectionTimeoutMs(5_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 1_000))
                .build();
        closeLater(c);
        c.start();
        check(c.blockUntilConnected(10, TimeUnit.SECONDS), "client did not connect to " + connect + " within 10 s");
        return c;
    }

    <T extends AutoCloseable> T closeLater(T c) {
        synchronized (closeables) {
            closeables.add(c);
        }
        return c;
    }

    /** Closes in reverse order: recipes before the clients they use. */
    void closeAll() {
        List<AutoCloseable> all;
        synchronized (closeables) {
            all = new ArrayList<>(closeables);
            closeables.clear();
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (Exception e) {
                // Closing a recipe whose session is gone may throw; the
                // case's verdict is already made.
            }
        }
    }

    /**
     * Ends the client's session on the server: a second handle attaches to
     * the same session with its id and password and closes it, the way
     * Curator's own test kit does. The server then expires every watch and
     * ephemeral of the session and the first client learns it on reconnect.
     */
    void killSession(CuratorFramework c) throws Exception {
        ZooKeeper zk = c.getZookeeperClient().getZooKeeper();
        long id = zk.getSessionId();
        byte[] pw = zk.getSessionPasswd();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper other = new ZooKeeper(connect, SESSION_TIMEOUT_MS, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, id, pw);
        try {
            check(connected.await(WAIT_MS, TimeUnit.MILLISECONDS), "second handle on session 0x" + Long.toHexString(id) + " did not connect");
            check(other.getSessionId() == id, "second handle got session 0x" + Long.toHexString(other.getSessionId())
                    + ", want 0x" + Long.toHexString(id));
        } finally {
            other.close();
        }
    }

    /**
     * Children of path, empty when it does not exist: recipes make their
     * parents containers, which the server may remove as soon as they are
     * empty.
     */
    static List<String> children(CuratorFramework c, String path) throws Exception {
        try {
            return c.getChildren().forPath(path);
        } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    static void check(boolean ok, String msg) {
        Checks.check(ok, msg);
    }

    static void checkEq(Object want, Object got, String what) {
        Checks.checkEq(want, got, what);
    }

    /** Polls cond until it holds or WAIT_MS passes. */
    void await(BooleanSupplier cond, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + WAIT_MS;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("within " + WAIT_MS + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    /** The next item of q, failing when none comes within WAIT_MS. */
    static <T> T next(BlockingQueue<T> q, String what) throws InterruptedException {
        T v = q.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        if (v == null) {
            throw new AssertionError("no " + what + " within " + WAIT_MS + " ms");
        }
        return v;
    }
}
