//! Charts drawn on the server. The plot is an SVG stretched to its box, while axis labels
//! and bar labels are HTML, so text stays readable at every width. Each chart has its numbers
//! in a table under a disclosure, for screen readers and for copying.

use std::fmt::Write;

use maud::{Markup, html};

use super::format::{count, short_time};

const HOUR_MS: i64 = 3_600_000;
/// Plot coordinates: the SVG's view box is this wide and high and is stretched to fit.
const PLOT_WIDTH: f64 = 1000.0;
const PLOT_HEIGHT: f64 = 300.0;
/// Labels under the time axis.
const TIME_LABELS: usize = 5;
/// Minimum number of hours an hourly chart spans. A shorter range is extended back in time, so that
/// traffic from a single hour still draws a line and the time labels differ.
const MIN_CHART_HOURS: i64 = 24;

/// Renders an area chart of counts per hour from `start_hour` to `end_hour` (epoch
/// milliseconds, both included, at least [`MIN_CHART_HOURS`] apart). Hours missing from
/// `points` count as zero.
pub fn hourly_area(caption: &str, points: &[(i64, u64)], start_hour: i64, end_hour: i64) -> Markup {
    let start_hour = start_hour.min(end_hour - (MIN_CHART_HOURS - 1) * HOUR_MS);
    let hours = ((end_hour - start_hour) / HOUR_MS + 1).max(1) as usize;
    let mut values = vec![0u64; hours];
    for (hour, value) in points {
        if *hour >= start_hour && *hour <= end_hour {
            values[((hour - start_hour) / HOUR_MS) as usize] += value;
        }
    }
    let top = nice_ceiling(values.iter().copied().max().unwrap_or(0));
    let total: u64 = values.iter().sum();

    let x = |i: usize| if hours == 1 { PLOT_WIDTH / 2.0 } else { i as f64 * PLOT_WIDTH / (hours - 1) as f64 };
    let y = |v: u64| PLOT_HEIGHT - (v as f64 / top as f64) * PLOT_HEIGHT;
    let mut line = String::new();
    for (i, value) in values.iter().enumerate() {
        let _ = write!(line, "{}{:.1} {:.1}", if i == 0 { "M" } else { "L" }, x(i), y(*value));
    }
    let area = format!("{line}L{:.1} {PLOT_HEIGHT}L{:.1} {PLOT_HEIGHT}Z", x(hours - 1), x(0));
    let grid = format!("M0 0.5H{PLOT_WIDTH}M0 {}H{PLOT_WIDTH}M0 {}H{PLOT_WIDTH}", PLOT_HEIGHT / 2.0, PLOT_HEIGHT - 0.5);

    let labels: Vec<String> = (0..TIME_LABELS)
        .map(|i| {
            let hour = start_hour + (hours - 1) as i64 * i as i64 / (TIME_LABELS - 1) as i64 * HOUR_MS;
            short_time(hour).trim_end_matches(" UTC").to_string()
        })
        .collect();
    let summary = format!(
        "{caption}: {} request{} from {} to {}, at most {} in one hour",
        count(total),
        if total == 1 { "" } else { "s" },
        short_time(start_hour),
        short_time(end_hour),
        count(values.iter().copied().max().unwrap_or(0))
    );

    html! {
        figure class="chart" {
            figcaption { (caption) }
            div class="chart-body" {
                div class="y-axis" aria-hidden="true" {
                    span { (count(top)) } span { (half(top)) } span { "0" }
                }
                svg class="plot" viewBox={ "0 0 " (PLOT_WIDTH) " " (PLOT_HEIGHT) } preserveAspectRatio="none"
                    role="img" aria-label=(summary) {
                    path class="grid" d=(grid) vector-effect="non-scaling-stroke" {}
                    path class="area" d=(area) {}
                    path class="line" d=(line) vector-effect="non-scaling-stroke" {}
                }
            }
            div class="x-axis" aria-hidden="true" {
                @for label in &labels { span { (label) } }
            }
            details class="chart-data" {
                summary { "Numbers per hour" }
                div class="table-wrap" {
                    table {
                        thead { tr { th scope="col" { "Hour (UTC)" } th scope="col" class="num" { "Requests" } } }
                        tbody {
                            @for (i, value) in values.iter().enumerate() {
                                @if *value > 0 {
                                    tr { td { (short_time(start_hour + i as i64 * HOUR_MS)) } td class="num" { (count(*value)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One bar: its label, value and an optional link for the label.
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub href: Option<String>,
}

/// Horizontal bars scaled to the largest value, with labels and values as text.
pub fn bars(caption: &str, bars: &[Bar]) -> Markup {
    let top = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    html! {
        figure class="chart" {
            figcaption { (caption) }
            @if bars.is_empty() {
                p class="muted" { "Nothing recorded yet." }
            } @else {
                table class="bars" {
                    thead class="visually-hidden" {
                        tr { th scope="col" { "Name" } th scope="col" { "Share" } th scope="col" { "Count" } }
                    }
                    tbody {
                        @for bar in bars {
                            tr {
                                th scope="row" {
                                    @if let Some(href) = &bar.href { a href=(href) { (bar.label) } } @else { (bar.label) }
                                }
                                td class="bar-cell" aria-hidden="true" {
                                    svg viewBox="0 0 100 10" preserveAspectRatio="none" focusable="false" {
                                        rect class="bar-track" width="100" height="10" {}
                                        rect class="bar" width=(format!("{:.2}", bar.value as f64 * 100.0 / top as f64)) height="10" {}
                                    }
                                }
                                td class="num" { (count(bar.value)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Formats half of an axis maximum as its label: `2.5` for 5, so the middle grid line is labelled
/// with its true value.
fn half(top: u64) -> String {
    if top.is_multiple_of(2) { count(top / 2) } else { format!("{}.5", count(top / 2)) }
}

/// Returns the smallest of 1, 2 and 5 times a power of ten that is at least `value` (at
/// least 1).
fn nice_ceiling(value: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let candidate = step.saturating_mul(factor);
            if candidate >= value {
                return candidate;
            }
        }
        if step > u64::MAX / 10 {
            return value;
        }
        step *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceiling_rounds_up() {
        let cases = [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (20, 20), (480, 500), (501, 1000), (1_200, 2_000)];
        for (value, expected) in cases {
            assert_eq!(nice_ceiling(value), expected, "{value}");
        }
    }

    #[test]
    fn area_fills_missing_hours_with_zero() {
        let chart = hourly_area("Requests", &[(0, 4), (2 * HOUR_MS, 2)], 0, 23 * HOUR_MS).into_string();
        // 24 hours starting 4, 0, 2 on a scale of 5 with a 300-high plot, 1000/23 apart.
        assert!(chart.contains("M0.0 60.0L43.5 300.0L87.0 180.0L130.4 300.0"), "{chart}");
        assert!(chart.contains("6 requests"), "{chart}");
        assert!(chart.contains("<span>2.5</span>"), "{chart}");
    }

    #[test]
    fn short_range_spans_a_day() {
        let end = 100 * HOUR_MS;
        let chart = hourly_area("Requests", &[(end, 1)], end, end).into_string();
        let start = end - 23 * HOUR_MS;
        assert!(chart.contains(&format!("from {} to {}", short_time(start), short_time(end))), "{chart}");
        let line = chart.split("class=\"line\" d=\"").nth(1).unwrap_or_default();
        assert_eq!(line.split('"').next().unwrap_or_default().matches('L').count(), 23, "{chart}");
        assert!(chart.contains("<span>0.5</span>"), "{chart}");
    }

    #[test]
    fn bars_scale_to_largest() {
        let chart = bars(
            "Findings",
            &[Bar { label: "sqli".into(), value: 8, href: None }, Bar { label: "xss".into(), value: 2, href: None }],
        )
        .into_string();
        assert!(chart.contains("width=\"100.00\""), "{chart}");
        assert!(chart.contains("width=\"25.00\""), "{chart}");
    }
}
