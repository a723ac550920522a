/**
 * Programs a visitor can load, chosen to show what the sandbox does with each kind of program.
 * Every language starts with a hello world that asks for a name while it runs, so the console's
 * input line shows at once; Python, the default, shows each of the sandbox's limits.
 */
export interface Example {
  id: string;
  title: string;
  code: string;
  stdin?: string;
}

const PYTHON_EXAMPLES: Example[] = [
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
    id: 'csv',
    title: 'Write a CSV file',
    code: `# Files a program writes under out/ come back with its result:
# the page offers them as downloads under the output.
import csv
import os

os.makedirs("out", exist_ok=True)
with open("out/table.csv", "w", newline="") as file:
    table = csv.writer(file)
    table.writerow(["n", "square", "cube"])
    for n in range(1, 6):
        table.writerow([n, n**2, n**3])
print("wrote out/table.csv")
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

/** The first lines of every language's first example, in its comments. */
function askName(comment: string): string {
  return [
    'Asks for your name while it runs: type it in the line under',
    'the output, then press Enter.',
  ]
    .map((line) => `${comment} ${line}`)
    .join('\n');
}

/** By the `language` of GET /runtimes, first example first. */
export const EXAMPLES: Readonly<Record<string, readonly Example[]>> = {
  python: PYTHON_EXAMPLES,
  'python-scientific': [
    {
      id: 'numpy',
      title: 'Statistics of typed numbers (numpy)',
      code: `# Asks for numbers while it runs: type them in the line under the output, then Enter.
import numpy as np

line = input("Numbers, separated by spaces? ")
values = np.array([float(word) for word in line.split()])
print(f"mean {values.mean():g}, standard deviation {values.std():g}")
`,
    },
    {
      id: 'plot',
      title: 'Plot a chart',
      code: `# Draws a chart with matplotlib and saves it under out/: the files a
# program writes there come back, and the page shows pictures inline.
import os

import matplotlib.pyplot as plt
import numpy as np

os.makedirs("out", exist_ok=True)
x = np.linspace(0, 2 * np.pi, 200)
figure, axes = plt.subplots(figsize=(6, 3.5))
axes.plot(x, np.sin(x), label="sin x")
axes.plot(x, np.cos(x), label="cos x")
axes.set_title("Two waves")
axes.legend()
figure.savefig("out/plot.png", dpi=100)
print("saved out/plot.png")
`,
    },
  ],
  javascript: [
    {
      id: 'hello',
      title: 'Hello, name (reads input)',
      code: `${askName('//')}
const readline = require('node:readline');

const lines = readline.createInterface({ input: process.stdin });
process.stdout.write('What is your name? ');
lines.once('line', (name) => {
  console.log(\`Hello, \${name || 'world'}!\`);
  lines.close();
  process.stdin.destroy(); // stop reading, or Node waits for the end of the input
});
`,
    },
    {
      id: 'error',
      title: 'Runtime error',
      code: `// An uncaught exception: the stack trace goes to stderr, exit code 1.
console.log('about to read a property of undefined');
const settings = undefined;
console.log(settings.colour);
`,
    },
  ],
  bash: [
    {
      id: 'hello',
      title: 'Hello, name (reads input)',
      code: `${askName('#')}
printf 'What is your name? '
read -r name
echo "Hello, \${name:-world}!"
`,
    },
  ],
  c: [
    {
      id: 'hello',
      title: 'Hello, name (reads input)',
      code: `${askName('//')}
#include <stdio.h>
#include <string.h>

int main(void) {
    char name[100];
    printf("What is your name? ");
    fflush(stdout); // stdout is a pipe, not a terminal: show the question before waiting
    if (fgets(name, sizeof name, stdin) == NULL) name[0] = '\\0';
    name[strcspn(name, "\\n")] = '\\0';
    printf("Hello, %s!\\n", name[0] ? name : "world");
    return 0;
}
`,
    },
    {
      id: 'compile-error',
      title: 'Compile error',
      code: `// Does not compile: the compiler's messages are the output, and nothing runs.
#include <stdio.h>

int main(void) {
    printf("never printed\\n")
    return 0;
}
`,
    },
  ],
  cpp: [
    {
      id: 'hello',
      title: 'Hello, name (reads input)',
      code: `${askName('//')}
#include <iostream>
#include <string>

int main() {
    std::cout << "What is your name? " << std::flush;
    std::string name;
    std::getline(std::cin, name);
    if (name.empty()) name = "world";
    std::cout << "Hello, " << name << "!\\n";
}
`,
    },
    {
      id: 'compile-error',
      title: 'Compile error',
      code: `// Does not compile: the compiler's messages are the output, and nothing runs.
#include <string>

int main() {
    std::string text = 42;
}
`,
    },
  ],
  ruby: [
    {
      id: 'hello',
      title: 'Hello, name (reads input)',
      code: `${askName('#')}
$stdout.sync = true # stdout is a pipe, not a terminal: show the question before waiting

print "What is your name? "
name = $stdin.gets.to_s.chomp
puts "Hello, #{name.empty? ? "world" : name}!"
`,
    },
  ],
  php: [
    {
      id: 'hello',
      title: 'Hello, name (reads input)',
      code: `<?php
${askName('//')}
echo "What is your name? ";
$name = trim((string) fgets(STDIN));
echo "Hello, " . ($name === "" ? "world" : $name) . "!\\n";
`,
    },
  ],
};

/** A language's examples (none for a language this page does not know). */
export function examplesOf(language: string): readonly Example[] {
  return EXAMPLES[language] ?? [];
}
