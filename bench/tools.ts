/**
 * `npm run bench -- tools [--tools 200] [--load 1000] [--iterations 20]`
 *
 * Generates a corpus of IUC-like wrappers with macros (imports, tokens, expands with yields and
 * named yields; conditionals, repeats, sections; commands with #if/#for/#set, $x.metadata,
 * is_of_type, \${GALAXY_SLOTS:-1}) in a temp dir, then measures:
 *   - render: load each tool once, build its state from defaults, buildCommandLine with fake
 *     paths; median and p99 over tools of the warm render time (and the cold first render,
 *     which includes compiling the template);
 *   - the same command templates rendered by Python Cheetah 3 (/usr/bin/python3, Debian
 *     python3-cheetah) with a plain namespace, as the named alternative (ratio = python / nebula);
 *   - cold load of 1,000 tools (parse + macro expansion, no cache), against raw XML parsing of
 *     the same files with @xmldom/xmldom (the floor any loader pays).
 * The last line is one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DOMParser } from '@xmldom/xmldom';
import { isSubtypeOf } from '../src/datatypes/index.ts';
import { buildCommandLine } from '../src/tools/command/build.ts';
import type { JobContext } from '../src/tools/command/param-dict.ts';
import { loadToolFromFile } from '../src/tools/loader.ts';
import type { ToolSource } from '../src/tools/model.ts';
import { buildToolState } from '../src/tools/parameters/state.ts';
import type { ToolState } from '../src/tools/parameters/values.ts';
import { median, percentile, round } from './lib/stats.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const TOOLS = arg('tools', 200);
const LOAD = arg('load', 1000);
const ITERATIONS = arg('iterations', 20);

// ---------------------------------------------------------------- corpus

const SHARED_MACROS = `<macros>
    <token name="@WRAPPER_VERSION@">2.5.1</token>
    <token name="@PROFILE@">21.01</token>
    <token name="@THREADS@">--threads \\\${GALAXY_SLOTS:-1}</token>
    <xml name="requirements">
        <requirements>
            <requirement type="package" version="@WRAPPER_VERSION@">suite</requirement>
            <yield/>
        </requirements>
    </xml>
    <xml name="citations">
        <citations><citation type="doi">10.1093/bioinformatics/btp352</citation></citations>
    </xml>
    <xml name="filter_section" tokens="prefix" token_prefix="flt">
        <section name="@PREFIX@" title="Filters" expanded="false">
            <param name="min_quality" type="integer" value="20" min="0" max="60" label="Minimum quality"/>
            <param name="keep_unpaired" type="boolean" truevalue="--keep" falsevalue="" checked="true" label="Keep"/>
            <yield name="extra_filters"/>
        </section>
    </xml>
    <token name="@PREPARE_INPUT@"><![CDATA[
#if $input.is_of_type('fastqsanger.gz'):
    #set $ext = 'fq.gz'
#else:
    #set $ext = 'fq'
#end if
ln -s '$input' 'input.$ext' &&
]]></token>
</macros>
`;

function toolXml(n: number): string {
  return `<tool id="bench_tool_${n}" name="Bench tool ${n}" version="@WRAPPER_VERSION@+galaxy${n % 3}" profile="@PROFILE@">
    <description>generated wrapper ${n}</description>
    <macros>
        <import>macros.xml</import>
        <token name="@BIN@">benchtool${n % 17}</token>
    </macros>
    <expand macro="requirements">
        <requirement type="package" version="1.${n % 10}">samtools</requirement>
    </expand>
    <command detect_errors="exit_code"><![CDATA[
@PREPARE_INPUT@
@BIN@ run
    @THREADS@
    #if $mode.selector == 'fast':
        --fast --kmer $mode.kmer
    #elif $mode.selector == 'sensitive':
        --sensitive
        #if $mode.seed:
            --seed $mode.seed
        #end if
    #else:
        --custom '$mode.custom_args'
    #end if
    #for $i, $r in enumerate($regions):
        --region\${i} '\${r.chrom}:\${r.start}-\${r.end}'
    #end for
    #set $cols = [str(c) for c in range(1, int($input.metadata.columns or 1) + 1)]
    --columns \${','.join($cols)}
    --min-quality $flt.min_quality $flt.keep_unpaired
    #if str($flt.adapter).strip():
        --adapter '$flt.adapter'
    #end if
    #if $output_format == 'bam':
        -O bam
    #else:
        -O sam
    #end if
    --name '\${input.element_identifier}'
    'input.$ext' > '$output'
]]></command>
    <inputs>
        <param name="input" type="data" format="fastqsanger,fastqsanger.gz,tabular" label="Reads"/>
        <conditional name="mode">
            <param name="selector" type="select" label="Mode">
                <option value="fast" selected="true">Fast</option>
                <option value="sensitive">Sensitive</option>
                <option value="custom">Custom</option>
            </param>
            <when value="fast">
                <param name="kmer" type="integer" value="${15 + (n % 16)}" min="5" max="63" label="k-mer"/>
            </when>
            <when value="sensitive">
                <param name="seed" type="integer" optional="true" label="Seed"/>
            </when>
            <when value="custom">
                <param name="custom_args" type="text" value="--x 1" label="Arguments"/>
            </when>
        </conditional>
        <repeat name="regions" title="Region" min="0" default="2">
            <param name="chrom" type="text" value="chr${n % 22 + 1}" label="Chromosome"/>
            <param name="start" type="integer" value="${n * 10}" label="Start"/>
            <param name="end" type="integer" value="${n * 10 + 500}" label="End"/>
        </repeat>
        <expand macro="filter_section">
            <token name="extra_filters">
                <param name="adapter" type="text" value="" label="Adapter"/>
            </token>
        </expand>
        <param name="output_format" type="select" label="Output format">
            <option value="sam">SAM</option>
            <option value="bam" selected="true">BAM</option>
        </param>
    </inputs>
    <outputs>
        <data name="output" format="bam">
            <change_format><when input="output_format" value="sam" format="sam"/></change_format>
        </data>
    </outputs>
    <tests>
        <test><param name="input" value="reads.fq"/><output name="output" file="out.bam" compare="sim_size"/></test>
    </tests>
    <help>Generated wrapper number ${n}.</help>
    <expand macro="citations"/>
</tool>
`;
}

async function writeCorpus(root: string, count: number): Promise<string[]> {
  const files: string[] = [];
  // Ten tools per directory share one macros.xml, as tool suites do.
  for (let n = 0; n < count; n++) {
    const dir = path.join(root, `suite_${Math.floor(n / 10)}`);
    if (n % 10 === 0) {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'macros.xml'), SHARED_MACROS);
    }
    const file = path.join(dir, `tool_${n}.xml`);
    await writeFile(file, toolXml(n));
    files.push(file);
  }
  return files;
}

// ---------------------------------------------------------------- render

const job: JobContext = {
  workingDirectory: '/scratch/job/working',
  configDirectory: '/scratch/job/configs',
  toolDirectory: '/tools/bench',
  locateInput: (d) => ({ path: `/scratch/job/inputs/${d.id}.dat`, extraFilesPath: `/scratch/job/inputs/${d.id}_files` }),
  outputs: { output: { path: '/scratch/job/outputs/output.dat', extraFilesPath: '/scratch/job/outputs/output_files' } },
  isSubtypeOf,
};

const INPUT = { kind: 'dataset' as const, id: 'd1', name: 'reads.fq', ext: 'fastqsanger', metadata: { columns: 4 } };

async function stateFor(tool: ToolSource): Promise<ToolState> {
  return buildToolState(tool, { input: { src: 'hda', id: 'd1' } }, { resolveData: async () => INPUT });
}

/** The namespace Python Cheetah gets: the state as plain dicts/lists, the input as a small object. */
function plainNamespace(state: ToolState): Record<string, unknown> {
  const clean = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(clean);
    if (v && typeof v === 'object') {
      if ((v as { kind?: string }).kind === 'dataset') return { __dataset__: true, path: '/scratch/job/inputs/d1.dat', ext: INPUT.ext, name: INPUT.name, columns: 4 };
      return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '__current_case__').map(([k, x]) => [k, clean(x)]));
    }
    return v;
  };
  const ns = clean(state) as Record<string, unknown>;
  const flt = ns.flt as Record<string, unknown>;
  flt.keep_unpaired = flt.keep_unpaired ? '--keep' : '';
  return { ...ns, output: '/scratch/job/outputs/output.dat' };
}

const PYTHON_BENCH = String.raw`
import json, sys, time
from Cheetah.Template import Template

class Metadata:
    def __init__(self, columns):
        self.columns = columns

class Dataset(str):
    def __new__(cls, d):
        s = str.__new__(cls, d["path"])
        s.ext = d["ext"]; s.name = d["name"]; s.element_identifier = d["name"]
        s.metadata = Metadata(d["columns"])
        return s
    def is_of_type(self, *exts):
        return self.ext in exts

def hook(d):
    return Dataset(d) if d.get("__dataset__") else d

items = json.load(open(sys.argv[1]), object_hook=hook)
iterations = int(sys.argv[2])
cold, warm = [], []
for item in items:
    t0 = time.perf_counter()
    cls = Template.compile(source=item["template"], cacheCompilationResults=False)
    out = str(cls(searchList=[item["namespace"]]))
    cold.append((time.perf_counter() - t0) * 1000)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        str(cls(searchList=[item["namespace"]]))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    warm.append(times[len(times) // 2])
print(json.dumps({"cold": cold, "warm": warm}))
`;

interface RenderFigures {
  warmMedian: number;
  warmP99: number;
  coldMedian: number;
}

function summarize(cold: number[], warm: number[]): RenderFigures {
  return { warmMedian: median(warm), warmP99: percentile(warm, 99), coldMedian: median(cold) };
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'nebula-bench-tools-'));
  try {
    const corpus = await writeCorpus(path.join(root, 'render'), TOOLS);
    const tools = corpus.map((f) => loadToolFromFile(f));
    const cold: number[] = [];
    const warm: number[] = [];
    const pythonItems: { template: string; namespace: Record<string, unknown> }[] = [];
    let sample = '';
    for (const tool of tools) {
      const state = await stateFor(tool);
      let t0 = performance.now();
      const first = await buildCommandLine(tool, state, job);
      cold.push(performance.now() - t0);
      sample ||= first.command;
      const times: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        t0 = performance.now();
        await buildCommandLine(tool, await stateFor(tool), job);
        times.push(performance.now() - t0);
      }
      warm.push(median(times));
      pythonItems.push({ template: tool.command!.text, namespace: plainNamespace(state) });
    }
    const nebula = summarize(cold, warm);
    console.log(`corpus: ${TOOLS} generated wrappers with macros; sample command:\n  ${sample}`);
    console.log(`nebula render (state + buildCommandLine): median ${round(nebula.warmMedian, 3)} ms, p99 ${round(nebula.warmP99, 3)} ms; first render incl. compile: median ${round(nebula.coldMedian, 3)} ms`);

    let python: RenderFigures | undefined;
    const py = '/usr/bin/python3';
    if (existsSync(py) && spawnSync(py, ['-c', 'import Cheetah'], { stdio: 'ignore' }).status === 0) {
      const input = path.join(root, 'python-items.json');
      const script = path.join(root, 'cheetah_bench.py');
      await writeFile(input, JSON.stringify(pythonItems));
      await writeFile(script, PYTHON_BENCH);
      const run = spawnSync(py, [script, input, String(ITERATIONS)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (run.status === 0) {
        const r = JSON.parse(run.stdout) as { cold: number[]; warm: number[] };
        python = summarize(r.cold, r.warm);
        console.log(`python Cheetah 3 (template render only, plain namespace): median ${round(python.warmMedian, 3)} ms, p99 ${round(python.warmP99, 3)} ms; compile+render median ${round(python.coldMedian, 3)} ms`);
      } else console.log(`python Cheetah comparison failed: ${run.stderr.slice(-500)}`);
    } else console.log('python Cheetah comparison skipped: /usr/bin/python3 with python3-cheetah not found');

    const loadFiles = await writeCorpus(path.join(root, 'load'), LOAD);
    let t0 = performance.now();
    for (const f of loadFiles) loadToolFromFile(f);
    const loadSeconds = (performance.now() - t0) / 1000;
    const parser = new DOMParser();
    t0 = performance.now();
    for (const f of loadFiles) {
      parser.parseFromString(readFileSync(f, 'utf8'), 'text/xml');
      parser.parseFromString(readFileSync(path.join(path.dirname(f), 'macros.xml'), 'utf8'), 'text/xml');
    }
    const xmlSeconds = (performance.now() - t0) / 1000;
    console.log(`cold load of ${LOAD} tools (parse + macros + model): ${round(loadSeconds, 3)} s; raw @xmldom/xmldom parse of the same files: ${round(xmlSeconds, 3)} s`);

    const result: Record<string, unknown> = {
      bench: 'tools',
      tools: TOOLS,
      render_median_ms: round(nebula.warmMedian, 4),
      render_p99_ms: round(nebula.warmP99, 4),
      first_render_median_ms: round(nebula.coldMedian, 4),
      load_tools: LOAD,
      load_1000_s: round((loadSeconds * 1000) / LOAD, 3),
      xmldom_parse_1000_s: round((xmlSeconds * 1000) / LOAD, 3),
      load_vs_xmldom_ratio: round(loadSeconds / xmlSeconds, 2),
      targets_met: nebula.warmMedian < 2 && nebula.warmP99 < 20 && (loadSeconds * 1000) / LOAD < 2,
    };
    if (python) {
      result.python_cheetah_render_median_ms = round(python.warmMedian, 4);
      result.python_cheetah_render_p99_ms = round(python.warmP99, 4);
      result.python_cheetah_compile_render_median_ms = round(python.coldMedian, 4);
      result.python_over_nebula_render_ratio = round(python.warmMedian / nebula.warmMedian, 2);
      result.python_over_nebula_first_render_ratio = round(python.coldMedian / nebula.coldMedian, 2);
    }
    console.log(JSON.stringify(result));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
