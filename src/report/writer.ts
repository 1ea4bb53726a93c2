import * as fs from 'fs';
import * as path from 'path';
import { buildAccessReport } from './build-report';
import type { ScanSource } from './direct-access';
import type { AccessReportRecorder } from './recorder';
import { renderMarkdown } from './render-markdown';

/** File names of the report, at the root of the cloud assembly directory. */
export const ACCESS_REPORT_JSON = 'access-report.json';
export const ACCESS_REPORT_MARKDOWN = 'access-report.md';

/** Write the access report of the recorder's app into the cloud assembly directory `outdir`. */
export function writeAccessReport(recorder: AccessReportRecorder, outdir: string, source: ScanSource): void {
  const report = buildAccessReport(recorder, source);
  fs.writeFileSync(path.join(outdir, ACCESS_REPORT_JSON), `${JSON.stringify(report, undefined, 2)}\n`);
  fs.writeFileSync(path.join(outdir, ACCESS_REPORT_MARKDOWN), renderMarkdown(report));
}
