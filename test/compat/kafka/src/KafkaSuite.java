import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZKUtil;

/**
 * The ZooKeeper usage of a Kafka cluster in ZooKeeper mode (broker
 * registration, controller election and epoch-guarded writes, sequential
 * change notifications, session expiry, watches re-sent after a reconnect),
 * done with the plain ZooKeeper 3.8 Java client against ZK_CONNECT (first
 * argument). Prints one PASS or FAIL line per case; run.sh counts them.
 * Arguments after the connect string select cases by name.
 */
public final class KafkaSuite {
    static final long CASE_TIMEOUT_MS = 25_000;
    /** About 20 s of cases on an idle machine; the margin is for loaded CI machines. */
    static final long SUITE_BUDGET_MS = 150_000;

    interface Case {
        void run(Ctx ctx) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: KafkaSuite host:port [case...]");
            System.exit(2);
        }
        String connect = args[0];
        Map<String, Case> cases = new LinkedHashMap<>();
        BrokerCases.register(cases);
        NotifyCases.register(cases);
        ClusterCases.register(cases);

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

        String root = "/compat-kafka-" + System.currentTimeMillis();
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
                System.out.println("FAIL kafka/" + name + ": not run, the suite's time budget is spent");
                failed++;
                continue;
            }
            // The index keeps a case named twice on the command line apart.
            Ctx ctx = new Ctx(connect, root + "/" + name + "-" + i);
            Future<?> f = pool.submit(() -> {
                ctx.setUp();
                cases.get(name).run(ctx);
                return null;
            });
            long began = System.currentTimeMillis();
            String why = null;
            long limit = Math.min(CASE_TIMEOUT_MS, left);
            try {
                f.get(limit, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                why = "timed out after " + limit + " ms (" + ctx.step + ")";
            } catch (ExecutionException e) {
                why = describe(e.getCause()) + " (" + ctx.step + ")";
            }
            ctx.closeAll();
            // Durations go to stderr: the harness shows it when a suite fails.
            System.err.println(name + " took " + (System.currentTimeMillis() - began) + " ms");
            if (why == null) {
                System.out.println("PASS kafka/" + name);
            } else {
                System.out.println("FAIL kafka/" + name + ": " + why);
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
        Ctx ctx = new Ctx(connect, root);
        try {
            Zk c = ctx.zk();
            ZKUtil.deleteRecursive(c.zk, root);
        } catch (KeeperException.NoNodeException e) {
            // nothing was created
        } catch (Exception e) {
            System.err.println("cleanup of " + root + ": " + describe(e));
        } finally {
            ctx.closeAll();
        }
    }
}
