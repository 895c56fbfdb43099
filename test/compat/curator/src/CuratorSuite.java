import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;

/**
 * Runs the Curator recipes against the server at ZK_CONNECT (first
 * argument) and prints one PASS or FAIL line per case; run.sh counts them.
 * Each case gets its own znode root and its own clients, which are closed
 * when it ends, so a failing case cannot disturb the next one. Arguments
 * after the connect string select cases by name.
 */
public final class CuratorSuite {
    /** Per case; the slowest (session loss, leader handover) take a few seconds. */
    static final long CASE_TIMEOUT_MS = 25_000;
    /**
     * The whole suite: about 25 s of cases on an idle machine; the margin is
     * for loaded CI machines, inside the harness's 180 s suite timeout.
     */
    static final long SUITE_BUDGET_MS = 150_000;

    interface Case {
        void run(Ctx ctx) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CuratorSuite host:port [case...]");
            System.exit(2);
        }
        String connect = args[0];
        Map<String, Case> cases = new LinkedHashMap<>();
        LockCases.register(cases);
        CacheCases.register(cases);
        SessionCases.register(cases);
        FrameworkCases.register(cases);

        List<String> selected = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (!cases.containsKey(args[i])) {
                System.err.println("unknown case " + args[i] + "; cases: " + cases.keySet());
                System.exit(2);
            }
            selected.add(args[i]);
        }
        if (selected.isEmpty()) {
            selected.addAll(cases.keySet());
        }

        String root = "/compat-curator-" + System.currentTimeMillis();
        long deadline = System.currentTimeMillis() + SUITE_BUDGET_MS;
        int failed = 0;
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < selected.size(); i++) {
            String name = selected.get(i);
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                System.out.println("FAIL curator/" + name + ": not run, the suite's time budget is spent");
                failed++;
                continue;
            }
            // The index keeps a case named twice on the command line apart.
            Ctx ctx = new Ctx(connect, root + "/" + name + "-" + i);
            Future<?> f = pool.submit(() -> {
                cases.get(name).run(ctx);
                return null;
            });
            long began = System.currentTimeMillis();
            String why = null;
            try {
                f.get(Math.min(CASE_TIMEOUT_MS, left), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                why = "timed out after " + Math.min(CASE_TIMEOUT_MS, left) + " ms (" + ctx.step + ")";
            } catch (java.util.concurrent.ExecutionException e) {
                why = describe(e.getCause()) + " (" + ctx.step + ")";
            }
            ctx.closeAll();
            // Durations go to stderr: the harness shows it when a suite fails.
            System.err.println(name + " took " + (System.currentTimeMillis() - began) + " ms");
            if (why == null) {
                System.out.println("PASS curator/" + name);
            } else {
                System.out.println("FAIL curator/" + name + ": " + why);
                failed++;
            }
            System.out.flush();
        }
        cleanup(connect, root);
        System.exit(failed == 0 ? 0 : 1);
    }

    static String describe(Throwable t) {
        String s = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return s.replace('\n', ' ');
    }

    /** Removes the suite's root; ephemerals went with their sessions. */
    static void cleanup(String connect, String root) {
        // The harness's super user can remove nodes whatever their ACLs.
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs(10_000).connectionTimeoutMs(5_000).retryPolicy(new RetryOneTime(100));
        String superAuth = System.getenv("ZK_SUPER_AUTH");
        if (superAuth != null && !superAuth.isEmpty()) {
            b.authorization("digest", superAuth.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        try (CuratorFramework c = b.build()) {
            c.start();
            if (c.blockUntilConnected(5, TimeUnit.SECONDS) && c.checkExists().forPath(root) != null) {
                c.delete().deletingChildrenIfNeeded().forPath(root);
            }
        } catch (Exception e) {
            System.err.println("cleanup of " + root + ": " + describe(e));
        }
    }
}
