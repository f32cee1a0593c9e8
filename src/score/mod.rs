//! The Fellegi–Sunter model: m and u probabilities per comparison level, match weights
//! (`log2(m / u)`), term-frequency adjustment for names, and the match probability and band.
//!
//! Defaults ship in `data/model_default.json` (compiled in); `skiptrace train` writes a model
//! file of the same shape, which [`Model::load`] reads.

mod frequencies;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::compare::{Comparison, ComparisonVector, NOT_SUPPLIED};
use crate::error::{Error, Result};

pub(crate) use frequencies::FrequencyCache;

const DEFAULT_MODEL_JSON: &str = include_str!("../../data/model_default.json");

/// Match probability at or above which an identity is banded `strong`.
pub const STRONG_THRESHOLD: f64 = 0.95;
/// Match probability at or above which an identity is banded `possible`.
pub const POSSIBLE_THRESHOLD: f64 = 0.80;
/// Match probability at or above which an identity is banded `weak` (below: `unlikely`).
pub const WEAK_THRESHOLD: f64 = 0.50;

/// Why a model cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not JSON of the model's shape.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A prior outside (0, 1).
    #[error("prior must be between 0 and 1")]
    Prior,
    /// A comparison the engine makes has no levels in the model.
    #[error("comparison {0} is missing")]
    MissingComparison(&'static str),
    /// A level the comparison does not define.
    #[error("{comparison} has no level {level}")]
    UnknownLevel {
        /// The comparison's name.
        comparison: &'static str,
        /// The level as the model spells it.
        level: String,
    },
    /// An m or u probability outside (0, 1].
    #[error("{comparison}.{level}: m and u must be in (0, 1]")]
    Probability {
        /// The comparison's name.
        comparison: &'static str,
        /// The level's label.
        level: String,
    },
}

/// One comparison level's probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonLevel {
    /// Stable snake_case label (e.g. `nickname`, `dob_day_month_swapped`).
    pub label: String,
    /// Probability that a true match reaches this level.
    #[serde(rename = "m")]
    pub m_probability: f64,
    /// Probability that a non-match reaches this level.
    #[serde(rename = "u")]
    pub u_probability: f64,
    /// When true, `u` is replaced by the value's frequency in the index.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tf_adjusted: bool,
}

impl ComparisonLevel {
    /// Returns `m / u`.
    pub fn bayes_factor(&self) -> f64 {
        self.m_probability / self.u_probability
    }

    /// Returns `log2(m / u)`.
    pub fn match_weight(&self) -> f64 {
        self.bayes_factor().log2()
    }
}

/// A Fellegi–Sunter model: a prior and the levels of every comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// What the model is and where its figures come from.
    #[serde(default)]
    pub description: String,
    /// Probability that a query and one candidate person match before any comparison.
    pub prior: f64,
    /// Floor for term-frequency-adjusted u probabilities (a name seen once is not certain).
    pub tf_min_u: f64,
    /// Pseudo-records that pull an observed name frequency towards the level's u (smoothing,
    /// so that in a small index a name seen in 4 of 4 records is not taken as universal).
    #[serde(default = "default_tf_prior_records")]
    pub tf_prior_records: f64,
    /// Levels per comparison name, `not_supplied` omitted (it always weighs 0).
    pub comparisons: BTreeMap<String, Vec<ComparisonLevel>>,
    /// Match weight per comparison and level index, derived on load.
    #[serde(skip)]
    weights: Vec<Vec<f64>>,
    /// Index of the tf-adjusted level per comparison, derived on load.
    #[serde(skip)]
    tf_level: Vec<Option<usize>>,
}

fn default_tf_prior_records() -> f64 {
    1000.0
}

/// Frequencies of the query's name values in the index, for term-frequency adjustment.
#[derive(Debug, Clone, Default)]
pub struct TermFrequencies {
    /// Share of records with this given name.
    pub first_name: Option<f64>,
    /// Share of records with this surname.
    pub last_name: Option<f64>,
}

/// One comparison's contribution to a match weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldWeight {
    /// Which comparison.
    pub comparison: Comparison,
    /// Level reached.
    pub level: &'static str,
    /// Its match weight in bits (0 for `not_supplied`).
    pub match_weight: f64,
}

/// A match band, from documented probability thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below [`WEAK_THRESHOLD`].
    Unlikely,
    /// [`WEAK_THRESHOLD`] or more.
    Weak,
    /// [`POSSIBLE_THRESHOLD`] or more.
    Possible,
    /// [`STRONG_THRESHOLD`] or more.
    Strong,
}

impl Band {
    /// Returns the band of a match probability.
    pub fn of(probability: f64) -> Band {
        if probability >= STRONG_THRESHOLD {
            Band::Strong
        } else if probability >= POSSIBLE_THRESHOLD {
            Band::Possible
        } else if probability >= WEAK_THRESHOLD {
            Band::Weak
        } else {
            Band::Unlikely
        }
    }

    /// Returns the snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Unlikely => "unlikely",
            Band::Weak => "weak",
            Band::Possible => "possible",
            Band::Strong => "strong",
        }
    }
}

/// Converts a total match weight (prior included) to a probability.
pub fn probability_from_weight(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

impl Model {
    /// Returns the shipped default model (`data/model_default.json`).
    pub fn default_model() -> Model {
        let model: Model =
            serde_json::from_str(DEFAULT_MODEL_JSON).expect("the shipped default model parses");
        model
            .prepared()
            .expect("the shipped default model is consistent")
    }

    /// Reads a model file.
    ///
    /// # Errors
    /// When the file cannot be read or parsed, or names unknown comparisons or levels.
    pub fn load(path: &Path) -> Result<Model> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let model_error = |source| Error::Model {
            path: path.to_path_buf(),
            source,
        };
        let model: Model = serde_json::from_str(&text).map_err(|e| model_error(e.into()))?;
        model.prepared().map_err(model_error)
    }

    /// Returns a digest of the model's figures (SHA-256 of its canonical JSON, hex, first 16
    /// digits): the same for the same model however its file is laid out, so an audit line says
    /// which model decided.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::to_vec(self).expect("a model serializes");
        hex::encode(&Sha256::digest(&canonical)[..8])
    }

    /// Writes the model as pretty JSON.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text).map_err(|e| Error::io(path, e))
    }

    /// Checks the levels against the comparisons' definitions and derives the weight tables.
    ///
    /// # Errors
    /// The first inconsistency.
    pub fn prepared(mut self) -> std::result::Result<Model, ModelError> {
        if !(self.prior > 0.0 && self.prior < 1.0) {
            return Err(ModelError::Prior);
        }
        self.weights = Vec::with_capacity(Comparison::COUNT);
        self.tf_level = Vec::with_capacity(Comparison::COUNT);
        for comparison in Comparison::ALL {
            let levels = self
                .comparisons
                .get(comparison.name())
                .ok_or(ModelError::MissingComparison(comparison.name()))?;
            let mut weights = vec![0.0; comparison.levels().len()];
            let mut tf_level = None;
            for level in levels {
                let index = comparison.level_index(&level.label).ok_or_else(|| {
                    ModelError::UnknownLevel {
                        comparison: comparison.name(),
                        level: level.label.clone(),
                    }
                })?;
                if level.label == NOT_SUPPLIED {
                    continue;
                }
                let valid = |p: f64| p > 0.0 && p <= 1.0;
                if !valid(level.m_probability) || !valid(level.u_probability) {
                    return Err(ModelError::Probability {
                        comparison: comparison.name(),
                        level: level.label.clone(),
                    });
                }
                weights[index] = level.match_weight();
                if level.tf_adjusted {
                    tf_level = Some(index);
                }
            }
            self.weights.push(weights);
            self.tf_level.push(tf_level);
        }
        Ok(self)
    }

    /// Returns the prior as a match weight: `log2(prior / (1 - prior))`.
    pub fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    /// Returns the smoothed frequency of a value seen in `count` of `total` records, for the
    /// term-frequency-adjusted level of `comparison`: `(count + c·u) / (total + c)` with
    /// `c = tf_prior_records` and `u` the level's own u probability.
    pub fn smoothed_frequency(&self, comparison: Comparison, count: u64, total: u64) -> f64 {
        let prior_u = self.tf_level[comparison as usize]
            .and_then(|level| self.u_probability(comparison, comparison.levels()[level]))
            .unwrap_or(self.tf_min_u);
        let pseudo = self.tf_prior_records;
        (count as f64 + pseudo * prior_u) / (total as f64 + pseudo)
    }

    fn u_probability(&self, comparison: Comparison, label: &str) -> Option<f64> {
        self.comparisons
            .get(comparison.name())?
            .iter()
            .find(|l| l.label == label)
            .map(|l| l.u_probability)
    }

    /// Returns the m probability of a level, or `None` for `not_supplied`.
    fn m_probability(&self, comparison: Comparison, label: &str) -> Option<f64> {
        self.comparisons
            .get(comparison.name())?
            .iter()
            .find(|l| l.label == label)
            .map(|l| l.m_probability)
    }

    /// Returns the match weight of `level` of `comparison`, term-frequency adjusted when the
    /// level is and a frequency is known.
    pub fn level_weight(&self, comparison: Comparison, level: usize, tf: &TermFrequencies) -> f64 {
        let index = comparison as usize;
        if self.tf_level[index] == Some(level) {
            let frequency = match comparison {
                Comparison::FirstName => tf.first_name,
                Comparison::LastName => tf.last_name,
                _ => None,
            };
            if let Some(frequency) = frequency {
                let label = comparison.levels()[level];
                let m = self.m_probability(comparison, label).unwrap_or(1.0);
                return (m / frequency.max(self.tf_min_u)).log2();
            }
        }
        self.weights[index][level]
    }

    /// Returns each comparison's weight for a comparison vector.
    pub fn field_weights(
        &self,
        vector: &ComparisonVector,
        tf: &TermFrequencies,
    ) -> Vec<FieldWeight> {
        Comparison::ALL
            .iter()
            .map(|&comparison| {
                let level = usize::from(vector.levels[comparison as usize]);
                FieldWeight {
                    comparison,
                    level: comparison.levels()[level],
                    match_weight: self.level_weight(comparison, level, tf),
                }
            })
            .collect()
    }

    /// Returns the total match weight of a vector, prior included.
    pub fn match_weight(&self, vector: &ComparisonVector, tf: &TermFrequencies) -> f64 {
        let fields: f64 = Comparison::ALL
            .iter()
            .map(|&c| self.level_weight(c, usize::from(vector.levels[c as usize]), tf))
            .sum();
        self.prior_weight() + fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_model_levels_are_ordered_by_weight_where_it_matters() {
        let model = Model::default_model();
        let tf = TermFrequencies::default();
        for comparison in Comparison::ALL {
            let levels = comparison.levels();
            let exact = model.level_weight(comparison, 1, &tf);
            let different = model.level_weight(comparison, levels.len() - 1, &tf);
            assert!(
                exact > 0.0,
                "{} exact must be evidence for",
                comparison.name()
            );
            assert!(
                different <= 0.0,
                "{} different must be evidence against",
                comparison.name()
            );
            assert_eq!(model.level_weight(comparison, 0, &tf), 0.0);
        }
    }

    #[test]
    fn rare_names_weigh_more_than_common_ones() {
        let model = Model::default_model();
        let common = TermFrequencies {
            last_name: Some(0.01),
            first_name: None,
        };
        let rare = TermFrequencies {
            last_name: Some(0.00001),
            first_name: None,
        };
        let exact = Comparison::LastName.level_index("exact").expect("level");
        assert!(
            model.level_weight(Comparison::LastName, exact, &rare)
                > model.level_weight(Comparison::LastName, exact, &common) + 5.0
        );
    }

    #[test]
    fn probability_and_bands() {
        assert!((probability_from_weight(0.0) - 0.5).abs() < 1e-12);
        assert!(probability_from_weight(20.0) > 0.999);
        assert_eq!(Band::of(0.99), Band::Strong);
        assert_eq!(Band::of(0.85), Band::Possible);
        assert_eq!(Band::of(0.6), Band::Weak);
        assert_eq!(Band::of(0.1), Band::Unlikely);
    }

    #[test]
    fn inconsistent_models_are_rejected() {
        let mut model = Model::default_model();
        model
            .comparisons
            .get_mut("dob")
            .expect("dob")
            .push(ComparisonLevel {
                label: "dob_made_up".into(),
                m_probability: 0.5,
                u_probability: 0.5,
                tf_adjusted: false,
            });
        let error = model.prepared().expect_err("a level dob does not define");
        assert!(
            matches!(&error, ModelError::UnknownLevel { comparison: "dob", level } if level == "dob_made_up"),
            "{error}"
        );
    }
}
