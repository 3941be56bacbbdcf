module logwasm.example/go_filter

go 1.24
