/** Programs a visitor can load, chosen to show what the sandbox does with each kind of program. */
export interface Example {
  id: string;
  title: string;
  code: string;
  stdin?: string;
}

export const EXAMPLES: Example[] = [
  {
    id: 'hello',
    title: 'Hello, world',
    code: `# Prints a greeting and a little arithmetic.
name = "world"
print(f"Hello, {name}!")
print("2 + 2 =", 2 + 2)
`,
  },
  {
    id: 'stdin',
    title: 'Read standard input',
    code: `# Reads numbers from standard input (the box below) and sums them.
import sys

numbers = [int(line) for line in sys.stdin if line.strip()]
print(f"read {len(numbers)} numbers, sum = {sum(numbers)}")
`,
    stdin: '3\n4\n35\n',
  },
  {
    id: 'interactive',
    title: 'Ask for input (type while it runs)',
    code: `# Asks questions while it runs: type the answers in the line
# under the output and press Enter (Ctrl+D ends the input).
name = input("What is your name? ")
print(f"Hello, {name}!")
count = int(input("How far shall I count? "))
for i in range(1, count + 1):
    print(i)
`,
  },
  {
    id: 'error',
    title: 'Runtime error',
    code: `# An uncaught exception: the traceback goes to stderr, exit code 1.
def divide(a, b):
    return a / b

print("about to divide by zero")
print(divide(1, 0))
`,
  },
  {
    id: 'infinite-loop',
    title: 'Infinite loop (time limit)',
    code: `# Never ends on its own: the sandbox kills it at the time limit.
print("spinning...", flush=True)
while True:
    pass
`,
  },
  {
    id: 'fork-bomb',
    title: 'Fork bomb (process limit)',
    code: `# A fork bomb: every process keeps forking.
# The sandbox caps the number of processes, so fork()
# soon fails instead of taking the machine down.
import os

while True:
    try:
        os.fork()
    except OSError as error:
        # One write per line: many processes share this output.
        os.write(1, f"pid {os.getpid()}: fork refused ({error.strerror})\\n".encode())
        os._exit(1)
`,
  },
  {
    id: 'memory-bomb',
    title: 'Memory bomb (memory limit)',
    code: `# Allocates 16 MB blocks until the memory limit stops it.
blocks = []
while True:
    blocks.append(bytearray(16 * 1024 * 1024))
    print(f"{len(blocks) * 16} MB", flush=True)
`,
  },
  {
    id: 'flood',
    title: 'Output flood (output limit)',
    code: `# Prints far more than the output limit: the output is cut and flagged.
for i in range(10**7):
    print(f"line {i}: " + "x" * 60)
`,
  },
];
