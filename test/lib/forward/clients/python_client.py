# A test client built on Debian's python3-fluent-logger: emits records whose values cover the
# msgpack types, with EventTime (nanosecond_precision) or integer times.
# Usage: python3 python_client.py HOST PORT NANOSECOND(0|1) COUNT  (HOST unix:///path for a socket)
import sys
from fluent import sender

host, port, nano, count = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1', int(sys.argv[4])
logger = sender.FluentSender('py', host=host, port=port, nanosecond_precision=nano, timeout=5.0)
for i in range(count):
    record = {'i': i, 'neg': -(1 << 40), 'u64': (1 << 64) - 1, 'f': 0.1, 's': 'héllo', 'b': b'\x00\x01\x02\xff',
              't': True, 'n': None, 'list': [1, 'two', 3.5], 'nested': {'k': 'v'}}
    # 1700000000.5 is exact in a double, so the nanoseconds are too
    if not logger.emit_with_time('client', 1700000000.5 + i, record):
        print('emit failed:', logger.last_error, file=sys.stderr)
        sys.exit(1)
logger.close()
print('sent', count)
