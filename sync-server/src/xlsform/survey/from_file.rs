//! `select_one_from_file FILE`: the list read from the file beside the form
//! (once per file), or a refusal saying where to put it.

use super::super::files;
use super::*;

impl Builder<'_> {
    /// The choices in `file`, read as a choices sheet of one list.
    pub(super) fn file_choices(
        &mut self,
        row: &Row,
        file: &str,
    ) -> Result<Vec<Choice>, ImportError> {
        if let Some((choices, _)) = self.files.get(file) {
            return Ok(choices.clone());
        }
        let cell = row.cell(self.columns.kind).to_owned();
        let list = files::list_name(file).to_owned();
        let plain = file.rsplit(['/', '\\']).next() == Some(file) && !file.starts_with('.');
        let bytes = plain.then(|| (self.beside)(file)).flatten().ok_or_else(|| {
            self.error(row, format!("type `{cell}`: the file `{file}` is not beside the form; put it in the form's folder (ODK reads the choices from it) and import again, or copy its rows into the choices sheet (list_name `{list}`, name, label) and write `select_one {list}`"))
        })?;
        let sheet = files::choices_sheet(file, &bytes)
            .map_err(|message| self.error(row, format!("type `{cell}`: {message}")))?;
        let mut notes = Vec::new();
        let (mut lists, mut columns) = super::super::choices::read_lists(
            self.file,
            "choices",
            Some(&sheet),
            self.languages,
            &self.filter_columns,
            &mut notes,
        )
        .map_err(|error| {
            // The file's own place, under the survey row that names it.
            let message = match error {
                ImportError::AtRow {
                    row: at, message, ..
                } => format!("row {at}: {message}"),
                ImportError::MissingColumn { column, .. } => {
                    format!("there is no `{column}` column; its header row names name and label")
                }
                other => other.to_string(),
            };
            self.error(row, format!("type `{cell}`, in `{file}`, {message}"))
        })?;
        self.notes.extend(
            notes
                .into_iter()
                .map(|n| format!("{file} (choices of survey row {}): {n}", row.number)),
        );
        let choices = lists.remove(&list).unwrap_or_default();
        if choices.is_empty() {
            return Err(self.error(row, format!("type `{cell}`: `{file}` has no choices")));
        }
        let cells = columns.remove(&list).unwrap_or_default();
        self.files.insert(file.to_owned(), (choices.clone(), cells));
        Ok(choices)
    }

    /// The rows of `file.csv` beside the form (for `pulldata()`), each as
    /// its cell in `key` and its cell in `cell`; the first row wins where
    /// keys repeat, as ODK's lookup finds the first.
    pub(super) fn data_rows(
        &self,
        file: &str,
        key: &str,
        cell: &str,
    ) -> Result<Vec<(String, String)>, String> {
        let name = format!("{file}.csv");
        let plain = !file.is_empty() && !file.contains(['/', '\\']) && !file.starts_with('.');
        let bytes = plain.then(|| (self.beside)(&name)).flatten().ok_or_else(|| {
            format!("pulldata() reads `{name}`, which is not beside the form; put it in the form's folder (ODK reads the data from it) and import again")
        })?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| format!("`{name}` is not UTF-8 text; save it as CSV UTF-8"))?;
        let rows = files::read_csv(text).map_err(|e| format!("`{name}`, {e}"))?;
        let Some((header, rows)) = rows.split_first() else {
            return Err(format!("`{name}` is empty"));
        };
        let column = |wanted: &str| {
            header
                .iter()
                .position(|h| h.trim() == wanted)
                .ok_or_else(|| format!("`{name}` has no column `{wanted}`"))
        };
        let (key_at, cell_at) = (column(key)?, column(cell)?);
        let mut seen = BTreeSet::new();
        Ok(rows
            .iter()
            .filter_map(|row| {
                let key = row.get(key_at)?.trim().to_owned();
                let cell = row.get(cell_at).map_or("", |c| c.trim()).to_owned();
                seen.insert(key.clone()).then_some((key, cell))
            })
            .collect())
    }
}
