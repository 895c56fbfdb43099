import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;

import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.proto.ConnectRequest;
import org.apache.zookeeper.proto.ConnectResponse;
import org.apache.zookeeper.proto.ReplyHeader;
import org.apache.zookeeper.proto.RequestHeader;

/**
 * A bare client connection: it sends exactly what a case asks for and
 * nothing else (no pings), so a case can resume another handle's session
 * or let a session time out while its socket stays open. Shared by the
 * Curator and Kafka suites (both run.sh compile it beside their own src/).
 */
final class RawSession implements AutoCloseable {
    /** The timeout stealAndWrite's connection asks for, as the suites' clients do. */
    static final int SESSION_TIMEOUT_MS = 10_000;

    final Socket socket;
    final DataInputStream in;
    long sessionId;
    int timeoutMs;
    private int xid = 1;

    private RawSession(String connect) throws IOException {
        String first = connect.split(",")[0];
        int colon = first.lastIndexOf(':');
        socket = new Socket();
        socket.connect(new InetSocketAddress(first.substring(0, colon), Integer.parseInt(first.substring(colon + 1))), 5_000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
    }

    /**
     * Opens a connection for session sessionId (0: a new session) and sends
     * ops right behind the connect request, in one write, so the server
     * applies them before anyone else can act on the connect. Fails unless
     * the session is granted and every op succeeds.
     */
    static RawSession open(String connect, long sessionId, byte[] passwd, int timeoutMs, List<Op> ops) throws IOException {
        RawSession r = new RawSession(connect);
        try {
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            frame(burst, boa -> {
                new ConnectRequest(0, 0, timeoutMs, sessionId, passwd).serialize(boa, "connect");
                boa.writeBool(false, "readOnly");
            });
            int first = r.xid;
            for (Op op : ops) {
                RequestHeader h = new RequestHeader(r.xid++, op.getType());
                frame(burst, boa -> {
                    h.serialize(boa, "header");
                    op.toRequestRecord().serialize(boa, "request");
                });
            }
            r.socket.getOutputStream().write(burst.toByteArray());
            r.socket.getOutputStream().flush();

            ConnectResponse resp = new ConnectResponse();
            resp.deserialize(BinaryInputArchive.getArchive(new ByteArrayInputStream(readFrame(r.in))), "connect");
            Checks.check(resp.getTimeOut() > 0, "session 0x" + Long.toHexString(sessionId) + " was refused (timeout 0)");
            if (sessionId != 0) {
                Checks.checkEq(sessionId, resp.getSessionId(), "session of the resumed connection");
            }
            r.sessionId = resp.getSessionId();
            r.timeoutMs = resp.getTimeOut();
            for (int want = first; want < r.xid; ) {
                ReplyHeader rh = new ReplyHeader();
                rh.deserialize(BinaryInputArchive.getArchive(new ByteArrayInputStream(readFrame(r.in))), "header");
                if (rh.getXid() < 0) {
                    continue; // a notification or ping, not a reply
                }
                Checks.checkEq(want, rh.getXid(), "xid of the reply on the raw connection");
                Checks.checkEq(0, rh.getErr(), "error of " + ops.get(want - first).getPath() + " on the raw connection");
                want++;
            }
            return r;
        } catch (IOException | RuntimeException | Error e) {
            r.close();
            throw e;
        }
    }

    /**
     * Resumes another handle's session and writes through it. Resuming makes
     * the server close the session's previous connection; closing this
     * socket afterwards, without a closeSession, leaves the session alive
     * for its owner to reconnect to.
     */
    static void stealAndWrite(String connect, long sessionId, byte[] passwd, List<Op> ops) throws IOException {
        open(connect, sessionId, passwd, SESSION_TIMEOUT_MS, ops).close();
    }

    /** Waits, sending nothing, until the server closes the connection; returns the wait in ms. */
    long awaitServerClose(long maxMs) throws IOException {
        long start = System.currentTimeMillis();
        socket.setSoTimeout((int) maxMs);
        try {
            while (true) {
                readFrame(in);
            }
        } catch (EOFException e) {
            return System.currentTimeMillis() - start;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept a silent session's connection open for " + maxMs + " ms");
        } catch (IOException e) {
            // a reset is a close too
            return System.currentTimeMillis() - start;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    interface Body {
        void write(BinaryOutputArchive boa) throws IOException;
    }

    static void frame(ByteArrayOutputStream dst, Body body) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        body.write(BinaryOutputArchive.getArchive(buf));
        DataOutputStream d = new DataOutputStream(dst);
        d.writeInt(buf.size());
        buf.writeTo(d);
    }

    static byte[] readFrame(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1 << 20) {
            throw new IOException("bad frame length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
