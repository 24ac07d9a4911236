extension HTMLReport {
    /// The page's style sheet: system fonts only, nothing fetched.
    static let style = """
        :root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --line: #d8dde5; --panel: #f6f8fb; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 1280px; padding: 20px 28px 40px; color: var(--ink);
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; background: #fff; }
        header { display: flex; align-items: baseline; justify-content: space-between; gap: 16px;
          border-bottom: 2px solid var(--ink); margin-bottom: 14px; }
        h1 { font-size: 22px; margin: 6px 0 8px; }
        h2 { font-size: 18px; margin: 0 0 4px; }
        nav a { color: var(--ink); margin-left: 12px; font-weight: 600; text-decoration: none; }
        section { margin: 18px 0 28px; }
        .conditions { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
        .conditions.warn { border-color: #d9a400; background: #fff8e1; }
        .conditions dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0 0; }
        .conditions dt { color: var(--muted); }
        .conditions dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
        .suite { border-top: 1px solid var(--line); padding-top: 14px; }
        .suite h2 { text-transform: uppercase; letter-spacing: 0.04em; }
        .about { color: var(--muted); margin: 0 0 8px; }
        .legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; margin: 6px 0 10px; }
        .legend li { display: flex; align-items: center; gap: 6px; }
        .legend em { color: var(--muted); }
        .swatch { width: 14px; height: 14px; border-radius: 3px; display: inline-block; }
        figure { margin: 8px 0 14px; overflow-x: auto; }
        figcaption { font-weight: 600; font-size: 13px; margin: 0 0 2px; }
        figure.latency .grid { display: flex; flex-wrap: wrap; gap: 8px 18px; }
        svg.chart { display: block; font-size: 11px; }
        svg .grid { stroke: #e7eaef; stroke-width: 1; }
        svg .baseline { stroke: #8a93a0; stroke-width: 1; }
        svg .tick { fill: var(--muted); font-size: 10.5px; }
        svg .axis-title { fill: var(--muted); font-size: 11px; }
        svg .case-label, svg .chart-title { fill: var(--ink); font-size: 12px; font-weight: 600; }
        svg .bar { fill-opacity: 0.88; }
        svg .whisker { stroke: #1d2430; stroke-width: 1.2; }
        svg .run { fill: #fff; stroke: #1d2430; stroke-width: 1; }
        svg .ratio { fill: var(--ink); font-size: 9.5px; font-weight: 600; }
        svg .yardstick-line { stroke: #1d2430; stroke-width: 1; stroke-dasharray: 4 3; }
        svg .failed-run { stroke: #c62828; stroke-width: 2; fill: none; }
        svg .failed-label { fill: #c62828; font-size: 10px; font-weight: 600; }
        svg .curve { fill: none; stroke-width: 2; }
        svg .point { stroke: none; }
        .table-wrap { overflow-x: auto; }
        table.numbers { border-collapse: collapse; font-size: 12px; margin: 6px 0 10px;
          font-variant-numeric: tabular-nums; }
        table.numbers th, table.numbers td { padding: 3px 6px; border-bottom: 1px solid var(--line); text-align: right;
          white-space: nowrap; }
        table.numbers thead th { background: var(--panel); color: var(--muted); font-weight: 600; }
        table.numbers tbody th { text-align: left; font-weight: 600; }
        table.numbers td:nth-child(2), table.numbers thead th:nth-child(-n+2) { text-align: left; }
        table.numbers tr.failed td, table.numbers tr.failed th { color: #c62828; }
        .failures { color: #8e1c1c; margin: 4px 0; }
        .failures summary { cursor: pointer; font-weight: 600; }
        footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 10px; }

        """
}
