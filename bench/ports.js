'use strict';
/** A free TCP port on 127.0.0.1 for a benchmark's rendezvous (listen on port 0, read it back, close). */
const net = require('net');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

module.exports = { freePort };
