//! `pr_curve.svg`: one precision–recall curve per system, each system's point at its shipped
//! thresholds ringed and its best-F1 point dotted, drawn with plotters' SVG backend (no fonts or
//! bitmaps needed: SVG text is laid out by the viewer).
//!
//! Part of the report step of `skiptrace eval`.

use plotters::prelude::*;

use super::report::EvalReport;
use crate::error::{Error, Result};

/// Picture size in pixels.
const SIZE: (u32, u32) = (960, 680);

/// Series colours, one per system in order (colour-blind-safe Okabe–Ito palette).
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

fn plot_error(error: impl std::fmt::Display) -> Error {
    Error::Plot(error.to_string())
}

/// Returns the lower edge of an axis: just below the smallest value, rounded down to a multiple
/// of 0.01 when every value is above 0.9 (where systems differ), else of 0.05.
fn lower_edge(values: impl Iterator<Item = f64>) -> f64 {
    let lowest = values.filter(|v| v.is_finite()).fold(1.0f64, f64::min);
    let steps_per_unit = if lowest >= 0.9 { 100.0 } else { 20.0 };
    ((lowest * steps_per_unit - 0.1).floor() / steps_per_unit).clamp(0.0, 0.99)
}

/// Returns the decimals tick labels need on an axis starting at `lower`.
fn decimals(lower: f64) -> usize {
    if 1.0 - lower <= 0.1 {
        3
    } else {
        2
    }
}

/// Draws the precision–recall curves of every system, axes zoomed to the data.
///
/// # Errors
/// [`Error::Plot`] when plotters fails to draw.
pub fn pr_curve_svg(report: &EvalReport) -> Result<String> {
    let points = || {
        report.systems.iter().flat_map(|s| {
            s.pr_curve
                .iter()
                .map(|p| (p.recall, p.precision))
                .chain(std::iter::once((s.overall.recall, s.overall.precision)))
        })
    };
    let x_low = lower_edge(points().map(|(recall, _)| recall));
    let y_low = lower_edge(points().map(|(_, precision)| precision));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (chart_area, footer) = root.split_vertically(SIZE.1 - 30);
        let mut chart = ChartBuilder::on(&chart_area)
            .caption("Precision–recall of the best match", ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(x_low..1.002, y_low..1.002)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("recall")
            .y_desc("precision")
            .x_label_formatter(&|v| format!("{v:.*}", decimals(x_low)))
            .y_label_formatter(&|v| format!("{v:.*}", decimals(y_low)))
            .draw()
            .map_err(plot_error)?;
        for (i, system) in report.systems.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let curve: Vec<(f64, f64)> = system
                .pr_curve
                .iter()
                .map(|p| (p.recall, p.precision))
                .collect();
            chart
                .draw_series(LineSeries::new(curve, color.stroke_width(2)))
                .map_err(plot_error)?
                .label(system.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                });
            let shipped = (system.overall.recall, system.overall.precision);
            chart
                .draw_series(std::iter::once(Circle::new(
                    shipped,
                    7,
                    color.stroke_width(2),
                )))
                .map_err(plot_error)?;
            if let Some(best) = system.overall.best_f1 {
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (best.recall, best.precision),
                        3,
                        color.filled(),
                    )))
                    .map_err(plot_error)?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)?;
        footer
            .draw(&Text::new(
                "ring: the system at its shipped thresholds (status matched); dot: its best F1; axes zoomed to the data",
                (20, 6),
                ("sans-serif", 14),
            ))
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_start_at_the_data_rounded_down() {
        assert_eq!(lower_edge([0.97, 0.99].into_iter()), 0.96);
        assert_eq!(lower_edge([0.5, 0.99].into_iter()), 0.45);
        assert_eq!(lower_edge(std::iter::empty()), 0.99);
        assert_eq!(lower_edge([0.0].into_iter()), 0.0);
        assert_eq!((decimals(0.96), decimals(0.45)), (3, 2));
    }

    #[test]
    fn draws_one_curve_per_system() {
        let report = crate::eval::report::tests::sample_report();
        let svg = pr_curve_svg(&report).expect("drawn");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        assert!(svg.contains("skiptrace") && svg.contains("splink"));
        assert!(svg.contains("<polyline") || svg.contains("<path"));
    }
}
