module gotimed

go 1.19
