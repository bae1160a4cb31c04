/** The instructions of a Dockerfile that `npm run image:check` carries out, stage by stage. */
export type Instruction =
  | { kind: 'workdir' | 'user' | 'expose'; value: string }
  | { kind: 'env'; values: Record<string, string> }
  | { kind: 'copy'; from?: string; sources: string[]; destination: string }
  | { kind: 'run'; command: string }
  | { kind: 'entrypoint' | 'cmd'; argv: string[] };

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** The stages of `text`, in order; an instruction it does not know is an error, never skipped. */
export function dockerfileStages(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    const current = stages.at(-1);
    if (keyword === 'FROM') {
      const [base = '', , name] = rest;
      stages.push({ name: name ?? String(stages.length), base, instructions: [] });
      continue;
    }
    if (!current) throw new Error(`${keyword} before any FROM`);
    current.instructions.push(instructionOf(keyword, args));
  }
  return stages;
}

function instructionOf(keyword: string, args: string): Instruction {
  switch (keyword) {
    case 'WORKDIR':
    case 'USER':
    case 'EXPOSE':
      return { kind: keyword.toLowerCase() as 'workdir' | 'user' | 'expose', value: args };
    case 'ENV': {
      const pairs = args.split(/\s+/).map((pair) => pair.split('=') as [string, string]);
      return { kind: 'env', values: Object.fromEntries(pairs) };
    }
    case 'RUN':
      return { kind: 'run', command: args };
    case 'ENTRYPOINT':
    case 'CMD':
      return { kind: keyword === 'CMD' ? 'cmd' : 'entrypoint', argv: JSON.parse(args) as string[] };
    case 'COPY': {
      const words = args.split(/\s+/);
      const flags = words.filter((word) => word.startsWith('--'));
      const paths = words.filter((word) => !word.startsWith('--'));
      const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
      return {
        kind: 'copy',
        ...(from ? { from } : {}),
        sources: paths.slice(0, -1),
        destination: paths.at(-1)!,
      };
    }
    default:
      throw new Error(`the image check does not know the instruction ${keyword}`);
  }
}
