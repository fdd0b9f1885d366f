// A TCP proxy on 127.0.0.1:0 in front of a local port, standing for the network between a
// browser and the server: `cut()` drops every connection through it at once (both ends,
// no close frame), as a lost Wi-Fi or a dead NAT mapping would; new connections go through.
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

export async function tcpProxy(targetPort) {
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = [client, upstream];
    const end = () => {
      for (const socket of pair) {
        socket.destroy();
        sockets.delete(socket);
      }
    };
    for (const socket of pair) {
      sockets.add(socket);
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    /** Drops every connection through the proxy; how many sockets were cut. */
    cut() {
      const count = sockets.size;
      for (const socket of [...sockets]) socket.destroy();
      return count;
    },
    async close() {
      for (const socket of [...sockets]) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
