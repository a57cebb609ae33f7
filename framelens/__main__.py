from framelens.cli.main import main

main()
