import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * What a case works with: its own root path (created by setUp), sessions
 * that are closed when the case ends, and assertions that say what was
 * expected.
 */
final class Ctx {
    static final int SESSION_TIMEOUT_MS = 10_000;
    static final long WAIT_MS = 10_000;

    final String connect;
    final String root;
    /** What the case is doing now; failures and timeouts report it. */
    volatile String step = "starting";
    /** Sessions use the Netty client socket instead of NIO. */
    boolean netty;
    private final List<Zk> sessions = new ArrayList<>();

    Ctx(String connect, String root) {
        this.connect = connect;
        this.root = root;
    }

    String path(String rel) {
        return root + "/" + rel;
    }

    /** Creates the case's root and its parents. */
    void setUp() throws Exception {
        Zk c = zk();
        mkdirs(c.zk, root);
    }

    /** A new connected session, closed when the case ends. */
    Zk zk() throws Exception {
        Zk c = new Zk(connect, SESSION_TIMEOUT_MS, netty);
        synchronized (sessions) {
            sessions.add(c);
        }
        c.awaitState(Watcher.Event.KeeperState.SyncConnected);
        return c;
    }

    void closeAll() {
        List<Zk> all;
        synchronized (sessions) {
            all = new ArrayList<>(sessions);
            sessions.clear();
        }
        for (Zk c : all) {
            c.close();
        }
    }

    /** Creates path and its missing parents as persistent nodes, as Kafka's createRecursive does. */
    static void mkdirs(ZooKeeper zk, String path) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String part : path.substring(1).split("/")) {
            sb.append('/').append(part);
            try {
                zk.create(sb.toString(), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException e) {
                // already there
            }
        }
    }

    /**
     * Ends a session on the server: a second handle attaches to it with its
     * id and password and closes it. The server deletes its ephemerals and
     * fires the watches on them; the first handle learns of the expiry when
     * it reconnects.
     */
    void killSession(Zk victim) throws Exception {
        long id = victim.zk.getSessionId();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper other = new ZooKeeper(connect, SESSION_TIMEOUT_MS, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, id, victim.zk.getSessionPasswd());
        try {
            check(connected.await(WAIT_MS, TimeUnit.MILLISECONDS), "second handle on session 0x" + Long.toHexString(id) + " did not connect");
            checkEq(id, other.getSessionId(), "session of the second handle");
        } finally {
            other.close();
        }
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] data) {
        return data == null ? "<null>" : new String(data, StandardCharsets.UTF_8);
    }

    static void check(boolean ok, String msg) {
        Checks.check(ok, msg);
    }

    static void checkEq(Object want, Object got, String what) {
        Checks.checkEq(want, got, what);
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
