package clinic

import "testing"

func TestMedicationLineText(t *testing.T) {
	tests := []struct {
		m    MedicationLine
		want string
	}{
		{MedicationLine{Name: "Lexapro", Dose: "10 mg", Frequency: "daily, and Xanax at night"}, "Lexapro 10 mg daily, and Xanax at night"},
		{MedicationLine{Name: "Lexapro", Frequency: "daily"}, "Lexapro daily"},
		{MedicationLine{Name: " Lexapro ", Dose: " 10  mg "}, "Lexapro 10 mg"},
		{MedicationLine{Name: "Lexapro"}, "Lexapro"},
		{MedicationLine{Dose: "10 mg", Frequency: "\tat night\n"}, "10 mg at night"},
		{MedicationLine{}, ""},
	}
	for _, tc := range tests {
		if got := tc.m.Text(); got != tc.want {
			t.Errorf("%+v.Text() = %q, want %q", tc.m, got, tc.want)
		}
	}
}
