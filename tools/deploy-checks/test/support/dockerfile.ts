export interface Instruction {
  keyword: string;
  /** The instruction's text after the keyword, continuation lines joined. */
  value: string;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Stages of a Dockerfile with their instructions; comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), value: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.value);
      if (!match) throw new Error(`unreadable FROM: ${line}`);
      stages.push({ name: match[2] ?? String(stages.length), from: match[1], instructions: [] });
    } else if (stages.length === 0) {
      args.push(instruction);
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { args, stages };
}

export function stage(stages: readonly Stage[], name: string): Stage {
  const found = stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no stage "${name}"`);
  return found;
}

export function instructions(target: Stage, keyword: string): Instruction[] {
  return target.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** KEY=value pairs of a stage's ENV instructions (the `ENV a=b c=d` form). */
export function envOf(target: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const instruction of instructions(target, 'ENV')) {
    for (const pair of instruction.value.split(/\s+/)) {
      const separator = pair.indexOf('=');
      if (separator <= 0) throw new Error(`ENV without KEY=value: ${instruction.value}`);
      env.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
  }
  return env;
}

/** Build-context sources of COPY/ADD instructions (not those copied from another stage). */
export function contextSources(target: Stage): string[] {
  return [...instructions(target, 'COPY'), ...instructions(target, 'ADD')]
    .filter((instruction) => !/--from=/.test(instruction.value))
    .flatMap((instruction) => {
      const words = instruction.value.split(/\s+/).filter((word) => !word.startsWith('--'));
      return words.slice(0, -1);
    });
}
