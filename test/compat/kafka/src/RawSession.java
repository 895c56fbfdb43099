import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;

import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.proto.ConnectRequest;
import org.apache.zookeeper.proto.ConnectResponse;
import org.apache.zookeeper.proto.ReplyHeader;
import org.apache.zookeeper.proto.RequestHeader;

/**
 * A bare client connection that resumes an existing session (id and
 * password) and writes through it. Resuming makes the server close the
 * session's previous connection; closing the socket afterwards, without a
 * closeSession, leaves the session alive for its owner to reconnect to.
 */
final class RawSession {
    private RawSession() {
    }

    static void stealAndWrite(String connect, long sessionId, byte[] passwd, List<Op> ops) throws IOException {
        String first = connect.split(",")[0];
        int colon = first.lastIndexOf(':');
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(first.substring(0, colon), Integer.parseInt(first.substring(colon + 1))), 5_000);
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());

            // Connect and the writes go out in one burst, so the writes are
            // applied before the session's owner can reconnect.
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            frame(burst, boa -> {
                new ConnectRequest(0, 0, Ctx.SESSION_TIMEOUT_MS, sessionId, passwd).serialize(boa, "connect");
                boa.writeBool(false, "readOnly");
            });
            int xid = 1;
            for (Op op : ops) {
                RequestHeader h = new RequestHeader(xid++, op.getType());
                frame(burst, boa -> {
                    h.serialize(boa, "header");
                    op.toRequestRecord().serialize(boa, "request");
                });
            }
            out.write(burst.toByteArray());
            out.flush();

            BinaryInputArchive cr = BinaryInputArchive.getArchive(new ByteArrayInputStream(readFrame(in)));
            ConnectResponse resp = new ConnectResponse();
            resp.deserialize(cr, "connect");
            Ctx.check(resp.getTimeOut() > 0, "resuming session 0x" + Long.toHexString(sessionId) + " was refused (timeout 0)");
            Ctx.checkEq(sessionId, resp.getSessionId(), "session of the resumed connection");

            for (int want = 1; want < xid; ) {
                ReplyHeader rh = new ReplyHeader();
                rh.deserialize(BinaryInputArchive.getArchive(new ByteArrayInputStream(readFrame(in))), "header");
                if (rh.getXid() < 0) {
                    continue; // a notification or ping, not a reply
                }
                Ctx.checkEq(want, rh.getXid(), "xid of the reply on the resumed connection");
                Ctx.checkEq(0, rh.getErr(), "error of " + ops.get(want - 1).getPath() + " on the resumed connection");
                want++;
            }
        }
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
