import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * Curator against the 3-member ensemble run.sh made (ENSEMBLE_DIR/1..3):
 * a leader latch and a lock held over a SIGKILL of the ensemble's leader,
 * and the EnsembleTracker following a reconfig. Prints one PASS or FAIL
 * line per case, named ensemble/curator_*; run.sh counts them. Arguments
 * after the connect string select cases by name.
 */
public final class EnsembleCurator {
    static final long CASE_TIMEOUT_MS = 60_000;
    static final int SESSION_TIMEOUT_MS = 10_000;
    static final Path ENS = Path.of(System.getenv("ENSEMBLE_DIR"));
    static final int[] MEMBERS = {1, 2, 3};
    static final List<AutoCloseable> open = new ArrayList<>();

    interface Case {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        // args[0] is the ensemble's connect string (java_suite's convention);
        // the cases read the members from ENSEMBLE_DIR.
        List<String> only = List.of(args).subList(Math.min(1, args.length), args.length);
        String[] names = {"curator_failover", "curator_ensemble_tracker"};
        Case[] cases = {EnsembleCurator::failover, EnsembleCurator::ensembleTracker};
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        int failed = 0;
        for (int i = 0; i < cases.length; i++) {
            String name = names[i];
            Case c = cases[i];
            if (!only.isEmpty() && !only.contains(name)) {
                continue;
            }
            Future<?> f = pool.submit(() -> {
                c.run();
                return null;
            });
            String why = null;
            try {
                f.get(CASE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                why = "timed out after " + CASE_TIMEOUT_MS + " ms (" + step + ")";
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable t = e.getCause();
                why = (t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()))
                        .replace('\n', ' ') + " (" + step + ")";
            }
            closeAll();
            try {
                restore();
            } catch (Exception e) {
                why = (why == null ? "" : why + "; ") + "restoring the ensemble: " + e.getMessage();
            }
            if (why == null) {
                System.out.println("PASS ensemble/" + name);
            } else {
                System.out.println("FAIL ensemble/" + name + ": " + why);
                failed++;
            }
            System.out.flush();
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    static volatile String step = "starting";

    /**
     * A leader latch and a lock, each held through one client while another
     * waits, keep their holders over a SIGKILL of the ensemble's leader: the
     * sessions reconnect (SUSPENDED, RECONNECTED, never LOST), the waiting
     * latch never takes over, and the lock's node is still there. A latch
     * whose client was on the killed member gives up leadership at
     * SUSPENDED and takes it back after RECONNECTED, once its background
     * check of the latch's children has come back (Curator 5's
     * LeaderLatch), which may be after the first write succeeds: the test
     * waits for it.
     */
    static void failover() throws Exception {
        String root = "/ensemble-curator-failover";
        step = "starting clients";
        CuratorFramework a = client(allMembers());
        CuratorFramework b = client(allMembers());
        BlockingQueue<ConnectionState> aStates = states(a);
        LeaderLatch la = closeLater(new LeaderLatch(a, root + "/latch", "a"));
        la.start();
        Checks.check(la.await(10, TimeUnit.SECONDS), "latch a did not lead within 10 s");
        LeaderLatch lb = closeLater(new LeaderLatch(b, root + "/latch", "b"));
        AtomicBoolean bLed = new AtomicBoolean();
        lb.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                bLed.set(true);
            }

            @Override
            public void notLeader() {
            }
        });
        lb.start();
        InterProcessMutex lock = new InterProcessMutex(a, root + "/lock");
        Checks.check(lock.acquire(10, TimeUnit.SECONDS), "lock not acquired");
        int old = leaderMember();
        Checks.check(old != 0, "no member says it leads");
        step = "killing member " + old;
        lib("compat_server_kill", old);
        step = "waiting for a write after the kill";
        long start = System.nanoTime();
        waitFor(() -> {
            try {
                a.create().orSetData().creatingParentsIfNeeded().forPath(root + "/after", "x".getBytes());
                return true;
            } catch (Exception e) {
                return false;
            }
        }, 30_000, "a write through Curator after the leader's kill");
        System.out.printf("ensemble/curator_failover: Curator wrote again %.1f s after SIGKILL of member %d%n",
                (System.nanoTime() - start) / 1e9, old);
        step = "checking the recipes after the failover";
        Checks.check(!aStates.contains(ConnectionState.LOST), "a's session was lost: " + aStates);
        waitFor(la::hasLeadership, 10_000, "latch a to lead again after the failover (states " + aStates + ")");
        Checks.check(!bLed.get(), "latch b led during the failover");
        Checks.check(lock.isAcquiredInThisProcess(), "the lock is no longer held");
        Checks.check(!b.getChildren().forPath(root + "/lock").isEmpty(), "the lock's node is gone");
        lock.release();
        la.close();
        open.remove(la);
        step = "waiting for latch b to take over";
        Checks.check(lb.await(10, TimeUnit.SECONDS), "latch b did not lead after a closed");
    }

    /**
     * A client given one member learns the others from /zookeeper/config,
     * and its connection string follows a reconfig that removes a member
     * and one that adds it back.
     */
    static void ensembleTracker() throws Exception {
        step = "starting a client on member 1 only";
        CuratorFramework c = client(addr(1));
        waitFor(() -> connectString(c).size() == 3, 10_000, "the tracker to list all three members (now "
                + connectString(c) + ")");
        for (int k : MEMBERS) {
            Checks.check(connectString(c).contains(addr(k)), "member " + k + " missing from " + connectString(c));
        }
        CuratorFramework admin = CuratorFrameworkFactory.builder().connectString(allMembers())
                .sessionTimeoutMs(SESSION_TIMEOUT_MS).connectionTimeoutMs(5_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 1_000))
                .authorization("digest", System.getenv().getOrDefault("ZK_SUPER_AUTH", "super:superpw")
                        .getBytes(StandardCharsets.UTF_8))
                .build();
        closeLater(admin).start();
        Checks.check(admin.blockUntilConnected(10, TimeUnit.SECONDS), "the super user's client did not connect");
        int gone = 0;
        for (int k : MEMBERS) {
            if (k != 1 && !"leader".equals(mode(k))) {
                gone = k;
            }
        }
        Checks.check(gone != 0, "no follower besides member 1");
        String line = null;
        for (String l : new String(admin.getConfig().forEnsemble(), StandardCharsets.UTF_8).split("\n")) {
            if (l.startsWith("server." + gone + "=")) {
                line = l;
            }
        }
        Checks.check(line != null, "no server." + gone + " line in /zookeeper/config");
        step = "removing member " + gone;
        admin.reconfig().leaving(String.valueOf(gone)).forEnsemble();
        int g = gone;
        waitFor(() -> connectString(c).size() == 2 && !connectString(c).contains(addr(g)), 10_000,
                "the tracker to drop member " + gone + " (now " + connectString(c) + ")");
        step = "adding member " + gone + " back";
        admin.reconfig().joining(line).forEnsemble();
        waitFor(() -> connectString(c).size() == 3, 10_000, "the tracker to list member " + gone + " again (now "
                + connectString(c) + ")");
        c.create().forPath("/ensemble-curator-tracker-" + System.nanoTime());
    }

    static CuratorFramework client(String connect) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs(SESSION_TIMEOUT_MS).connectionTimeoutMs(5_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 1_000)).build();
        closeLater(c).start();
        Checks.check(c.blockUntilConnected(10, TimeUnit.SECONDS), "no connection to " + connect + " within 10 s");
        return c;
    }

    static BlockingQueue<ConnectionState> states(CuratorFramework c) {
        BlockingQueue<ConnectionState> q = new LinkedBlockingQueue<>();
        c.getConnectionStateListenable().addListener((cl, s) -> q.add(s));
        return q;
    }

    static List<String> connectString(CuratorFramework c) {
        List<String> out = new ArrayList<>();
        for (String h : c.getZookeeperClient().getCurrentConnectionString().split(",")) {
            if (!h.isBlank()) {
                out.add(h.trim());
            }
        }
        return out;
    }

    static <T extends AutoCloseable> T closeLater(T c) {
        synchronized (open) {
            open.add(c);
        }
        return c;
    }

    static void closeAll() {
        List<AutoCloseable> all;
        synchronized (open) {
            all = new ArrayList<>(open);
            open.clear();
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (Exception e) {
                // The case's verdict is made; a recipe of a lost session may throw.
            }
        }
    }

    static String addr(int k) {
        try {
            return Files.readString(ENS.resolve(k + "/addr")).trim();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String allMembers() {
        List<String> all = new ArrayList<>();
        for (int k : MEMBERS) {
            all.add(addr(k));
        }
        return String.join(",", all);
    }

    static String mode(int k) {
        String[] hp = addr(k).split(":");
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 2_000);
            s.setSoTimeout(2_000);
            s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            String out = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            for (String l : out.split("\n")) {
                if (l.startsWith("Mode: ")) {
                    return l.substring(6).trim();
                }
            }
        } catch (Exception e) {
            // Not serving.
        }
        return "";
    }

    static int leaderMember() {
        for (int k : MEMBERS) {
            if ("leader".equals(mode(k))) {
                return k;
            }
        }
        return 0;
    }

    /** Runs lib.sh's fn on member k's directory. */
    static void lib(String fn, int k) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", ". \"$1\"; " + fn + " \"$2\"", "_",
                System.getenv("COMPAT_LIB"), ENS.resolve(String.valueOf(k)).toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Checks.check(p.waitFor(90, TimeUnit.SECONDS) && p.exitValue() == 0, fn + " member " + k + ": " + out);
    }

    /** Starts every member a case stopped and waits until all serve. */
    static void restore() throws Exception {
        for (int k : MEMBERS) {
            if (!Files.exists(ENS.resolve(k + "/pid"))) {
                lib("compat_server_start", k);
            }
        }
        waitFor(() -> {
            for (int k : MEMBERS) {
                String m = mode(k);
                if (!m.equals("leader") && !m.equals("follower")) {
                    return false;
                }
            }
            return leaderMember() != 0;
        }, 40_000, "all three members to serve");
        if (!"zookeeper".equals(System.getenv("ZK_TARGET"))) {
            // As suite.py's restore: zkraft hands leadership to the highest
            // server id for initLimit ticks after an election, so the next
            // case starts once the leader is the highest member or has led
            // for longer than that (modes read during the move disagree).
            int highest = MEMBERS[MEMBERS.length - 1];
            long[] since = {System.currentTimeMillis()};
            int[] seen = {0};
            waitFor(() -> {
                int k = leaderMember();
                if (k != seen[0]) {
                    seen[0] = k;
                    since[0] = System.currentTimeMillis();
                }
                return k == highest || (k != 0 && System.currentTimeMillis() - since[0] > 5_500);
            }, 20_000, "leadership to settle");
        }
    }

    static void waitFor(BooleanSupplier cond, long ms, String what) throws Exception {
        long deadline = System.currentTimeMillis() + ms;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("waited " + ms / 1000 + " s for " + what);
            }
            Thread.sleep(20);
        }
    }

}
