import {
  expectAllBlocked,
  PRINT_REPORT,
  PROBE,
  program,
  reportOf,
  type Attack,
} from '../attack-kit.js';

/**
 * Network: every way out of a container that has no network.
 * Run by test/hostile/network.e2e-spec.ts and by `npm run experiments`.
 */

export const networkAttacks: Attack[] = [
  program(
    'network',
    'reach out',
    'external addresses, DNS, the Docker bridge gateway, the engine and service ports, loopback, cloud metadata and raw sockets all fail',
    ({ servicePort }) =>
      [
        PROBE,
        'import socket',
        'def connect(host, port):',
        '    with socket.create_connection((host, port), timeout=2) as s:',
        '        return s.getpeername()',
        'targets = [("1.1.1.1", 53), ("8.8.8.8", 443), ("93.184.216.34", 80),',
        '           ("172.17.0.1", 2375), ("172.17.0.1", 2376), (f"172.17.0.1", ' +
          String(servicePort) +
          '),',
        '           ("127.0.0.1", ' + String(servicePort) + '), ("127.0.0.1", 22),',
        '           ("169.254.169.254", 80), ("10.0.0.1", 80), ("192.168.0.1", 80)]',
        'for host, port in targets:',
        '    attempt(f"tcp {host}:{port}", lambda host=host, port=port: connect(host, port))',
        'attempt("tcp [::1]:80", lambda: connect("::1", 80))',
        'attempt("dns example.com", lambda: socket.getaddrinfo("example.com", 80))',
        'attempt("dns localhost-free lookup of pypi.org", lambda: socket.gethostbyname("pypi.org"))',
        'def udp():',
        '    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:',
        '        return s.sendto(b"x", ("8.8.8.8", 53))',
        'attempt("udp 8.8.8.8:53", udp)',
        'attempt("raw ICMP socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))',
        'attempt("packet socket", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))',
        'def interfaces():',
        '    names = [name for _, name in socket.if_nameindex() if name != "lo"]',
        '    if names:',
        '        return names',
        '    raise OSError("only the loopback interface")',
        'attempt("network interfaces", interfaces)',
        PRINT_REPORT,
      ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      expectAllBlocked(reportOf(result, verdict), verdict, 18);
    },
  ),
];
